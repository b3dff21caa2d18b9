package metrics

import "strconv"

// GRPCStatusBase offsets gRPC status codes in Result.Code so that they never
// collide with HTTP statuses: a call that ended with gRPC code c has Code
// GRPCStatusBase+c. The record and summaries name such a code
// "grpc_" + the code's name in lower case ("grpc_unavailable").
const GRPCStatusBase = 1000

// grpcCodes is the number of gRPC status codes, OK (0) to UNAUTHENTICATED (16).
const grpcCodes = 17

// codeName is how a Result.Code is written in the record and summaries: an
// HTTP status as its number ("503"), a gRPC status as "grpc_" and its name
// ("grpc_unavailable").
func codeName(code uint16) string {
	switch c := uint32(code) - GRPCStatusBase; {
	case code < GRPCStatusBase || c >= grpcCodes:
	case c == 0:
		return "grpc_ok"
	default:
		return grpcClass(c).String()
	}
	return strconv.Itoa(int(code))
}

// grpcClass is the error class of a call that ended with gRPC code c other
// than OK; Transport for a code gRPC does not define.
func grpcClass(c uint32) ErrorClass {
	if c == 0 || c >= grpcCodes {
		return Transport
	}
	return GRPCCancelled + ErrorClass(c-1)
}

// ClassifyGRPC maps a call's gRPC status code to its class. expect lists the
// accepted statuses as Result codes (GRPCStatusBase+code); when it is empty,
// only OK is a success. A code outside expect is its gRPC class, or
// ExpectationFailed when it is OK.
func ClassifyGRPC(c uint32, expect []int) ErrorClass {
	for _, s := range expect {
		if s == GRPCStatusBase+int(c) {
			return OK
		}
	}
	switch {
	case c != 0:
		return grpcClass(c)
	case len(expect) > 0:
		return ExpectationFailed
	}
	return OK
}
