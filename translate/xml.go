package translate

// RenderXML renders an APIv3 result (after CRM_Utils_REST::output's
// pre-processing) as CRM_Utils_Array::xml does, byte for byte.
// OWNER: translate-render helper (stub).
func RenderXML(result any) []byte {
	panic("RenderXML: not implemented yet")
}
