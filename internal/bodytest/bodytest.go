// Package bodytest makes large request bodies for tests, generated as they
// are read, so a test's own memory stays small whatever it sends.
package bodytest

import (
	"io"
	"strings"
)

// ContentType is the Content-Type of Upload's body.
const ContentType = "multipart/form-data; boundary=XyZ"

// Upload is a multipart/form-data body uploading a file of size bytes
// (field async-upload, as WordPress's media upload sends it), then a name
// field; tail (whole parts, e.g. another field) goes after them, before the
// closing boundary.
func Upload(size int64, tail string) io.Reader {
	head := "--XyZ\r\nContent-Disposition: form-data; name=\"async-upload\"; filename=\"big.bin\"\r\nContent-Type: application/octet-stream\r\n\r\n"
	return io.MultiReader(strings.NewReader(head), io.LimitReader(&content{}, size),
		strings.NewReader("\r\n--XyZ\r\nContent-Disposition: form-data; name=\"name\"\r\n\r\nbig.bin\r\n"+tail+"--XyZ--\r\n"))
}

// UploadSize is the length of Upload(size, tail).
func UploadSize(size int64, tail string) int64 {
	n, _ := io.Copy(io.Discard, Upload(0, tail))
	return n + size
}

// content is an endless file: bytes of every value, line feeds and dashes
// among them, the same however it is read.
type content struct{ off int }

func (c *content) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(c.off*7 + c.off/251)
		c.off++
	}
	return len(p), nil
}
