package scha

// ResultType is the type of a query's result: the result formats of
// scha_cmds(1HA), which also decide the C out-argument type.
type ResultType string

const (
	ResultString      ResultType = "string"
	ResultInt         ResultType = "int"
	ResultUint        ResultType = "uint"
	ResultBoolean     ResultType = "boolean"
	ResultEnum        ResultType = "enum"
	ResultStringArray ResultType = "string_array"
	ResultUintArray   ResultType = "uint_array"
	ResultExtension   ResultType = "extension" // GetReply.ExtType says the property's type
	ResultStatus      ResultType = "status"    // Values = [status keyword, message]
)
