package translate

import "unicode"

// uca400Ignorable is every code point that MariaDB's and MySQL's
// utf8mb4_unicode_ci (UCA 4.0.0, strings/ctype-uca.c's uca400 table) gives
// no weight, so an SQL equality under it skips the character wherever it
// stands: 'process_batch_merge' = 'process_batch_merge<U+180E>' is 1.
// golang.org/x/text/collate implements a later UCA (CLDR root), which
// weighs two of them: U+06DE ARABIC START OF RUB EL HIZB and U+180E
// MONGOLIAN VOWEL SEPARATOR (format or enclosing characters in Unicode
// 4.0 that later versions gave a weight); CollationKey and CollationFold
// skip the whole table on top of what collate ignores. The reverse
// differences stay: collate ignores 635 code points that uca400 weighs
// (U+00AD SOFT HYPHEN at 0x0220, Arabic and NKo marks added after Unicode
// 4.0, the tag characters U+E0001.. that uca400 weighs as U+FFFD like any
// supplementary character); the edge dropping them too only makes more
// spellings read as a name (a name with one finds no row under
// unicode_ci, and a name with one the edge would merge with another
// counts against the same guessing counter), never fewer.
//
// Generated from MariaDB 10.11.19 (mariadbd started on a private socket,
// no networking, an empty datadir from mariadb-install-db) with
//
//	SET NAMES utf8mb4;
//	SELECT HEX(seq) FROM seq_0_to_1114111
//	WHERE (seq < 0xD800 OR seq > 0xDFFF)
//	  AND CONCAT('a', CONVERT(CHAR(seq USING utf32) USING utf8mb4), 'b')
//	      COLLATE utf8mb4_unicode_ci = 'ab';
//
// which answers 470 code points, all in the BMP (none above U+FFFF: uca400
// weighs every supplementary character as U+FFFD), in the ranges below.
var uca400Ignorable = &unicode.RangeTable{
	R16: []unicode.Range16{
		{Lo: 0x0000, Hi: 0x0008, Stride: 1},
		{Lo: 0x000E, Hi: 0x001F, Stride: 1},
		{Lo: 0x007F, Hi: 0x0084, Stride: 1},
		{Lo: 0x0086, Hi: 0x009F, Stride: 1},
		{Lo: 0x0300, Hi: 0x0357, Stride: 1},
		{Lo: 0x035D, Hi: 0x0362, Stride: 1},
		{Lo: 0x0483, Hi: 0x0486, Stride: 1},
		{Lo: 0x0488, Hi: 0x0489, Stride: 1},
		{Lo: 0x0591, Hi: 0x05A1, Stride: 1},
		{Lo: 0x05A3, Hi: 0x05B9, Stride: 1},
		{Lo: 0x05BB, Hi: 0x05BD, Stride: 1},
		{Lo: 0x05BF, Hi: 0x05BF, Stride: 1},
		{Lo: 0x05C1, Hi: 0x05C2, Stride: 1},
		{Lo: 0x05C4, Hi: 0x05C4, Stride: 1},
		{Lo: 0x0600, Hi: 0x0603, Stride: 1},
		{Lo: 0x0610, Hi: 0x0615, Stride: 1},
		{Lo: 0x064B, Hi: 0x0658, Stride: 1},
		{Lo: 0x0670, Hi: 0x0670, Stride: 1},
		{Lo: 0x06D6, Hi: 0x06E4, Stride: 1},
		{Lo: 0x06E7, Hi: 0x06E8, Stride: 1},
		{Lo: 0x06EA, Hi: 0x06ED, Stride: 1},
		{Lo: 0x070F, Hi: 0x070F, Stride: 1},
		{Lo: 0x0711, Hi: 0x0711, Stride: 1},
		{Lo: 0x0730, Hi: 0x074A, Stride: 1},
		{Lo: 0x0901, Hi: 0x0903, Stride: 1},
		{Lo: 0x093C, Hi: 0x093C, Stride: 1},
		{Lo: 0x0951, Hi: 0x0954, Stride: 1},
		{Lo: 0x0981, Hi: 0x0983, Stride: 1},
		{Lo: 0x09BC, Hi: 0x09BC, Stride: 1},
		{Lo: 0x0A01, Hi: 0x0A03, Stride: 1},
		{Lo: 0x0A3C, Hi: 0x0A3C, Stride: 1},
		{Lo: 0x0A70, Hi: 0x0A71, Stride: 1},
		{Lo: 0x0A81, Hi: 0x0A83, Stride: 1},
		{Lo: 0x0ABC, Hi: 0x0ABC, Stride: 1},
		{Lo: 0x0B01, Hi: 0x0B03, Stride: 1},
		{Lo: 0x0B3C, Hi: 0x0B3C, Stride: 1},
		{Lo: 0x0B82, Hi: 0x0B82, Stride: 1},
		{Lo: 0x0C01, Hi: 0x0C03, Stride: 1},
		{Lo: 0x0C82, Hi: 0x0C83, Stride: 1},
		{Lo: 0x0CBC, Hi: 0x0CBC, Stride: 1},
		{Lo: 0x0D02, Hi: 0x0D03, Stride: 1},
		{Lo: 0x0D82, Hi: 0x0D83, Stride: 1},
		{Lo: 0x0E47, Hi: 0x0E4B, Stride: 1},
		{Lo: 0x0E4E, Hi: 0x0E4E, Stride: 1},
		{Lo: 0x0EC8, Hi: 0x0ECB, Stride: 1},
		{Lo: 0x0F18, Hi: 0x0F19, Stride: 1},
		{Lo: 0x0F35, Hi: 0x0F35, Stride: 1},
		{Lo: 0x0F37, Hi: 0x0F37, Stride: 1},
		{Lo: 0x0F39, Hi: 0x0F39, Stride: 1},
		{Lo: 0x0F7E, Hi: 0x0F7F, Stride: 1},
		{Lo: 0x0F82, Hi: 0x0F83, Stride: 1},
		{Lo: 0x0F86, Hi: 0x0F87, Stride: 1},
		{Lo: 0x0FC6, Hi: 0x0FC6, Stride: 1},
		{Lo: 0x1036, Hi: 0x1038, Stride: 1},
		{Lo: 0x17C6, Hi: 0x17D1, Stride: 1},
		{Lo: 0x17D3, Hi: 0x17D3, Stride: 1},
		{Lo: 0x17DD, Hi: 0x17DD, Stride: 1},
		{Lo: 0x180B, Hi: 0x180E, Stride: 1},
		{Lo: 0x1939, Hi: 0x193B, Stride: 1},
		{Lo: 0x200B, Hi: 0x200F, Stride: 1},
		{Lo: 0x202A, Hi: 0x202E, Stride: 1},
		{Lo: 0x2060, Hi: 0x2063, Stride: 1},
		{Lo: 0x206A, Hi: 0x206F, Stride: 1},
		{Lo: 0x20D0, Hi: 0x20EA, Stride: 1},
		{Lo: 0x302A, Hi: 0x302F, Stride: 1},
		{Lo: 0x3099, Hi: 0x309A, Stride: 1},
		{Lo: 0xFB1E, Hi: 0xFB1E, Stride: 1},
		{Lo: 0xFC5E, Hi: 0xFC63, Stride: 1},
		{Lo: 0xFCF2, Hi: 0xFCF4, Stride: 1},
		{Lo: 0xFE00, Hi: 0xFE0F, Stride: 1},
		{Lo: 0xFE20, Hi: 0xFE23, Stride: 1},
		{Lo: 0xFE70, Hi: 0xFE74, Stride: 1},
		{Lo: 0xFE76, Hi: 0xFE7F, Stride: 1},
		{Lo: 0xFEFF, Hi: 0xFEFF, Stride: 1},
		{Lo: 0xFF9E, Hi: 0xFF9F, Stride: 1},
		{Lo: 0xFFF9, Hi: 0xFFFB, Stride: 1},
	},
	LatinOffset: 4,
}
