// Package metrics is the measurement vocabulary every other gauntlet package
// shares: request results, error classes, HDR latency histograms, the run
// record written as a run goes, and the summaries recomputed from it.
package metrics

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"syscall"
	"time"
)

// A Result is the outcome of one scheduled request. Runners send one per
// request; a failed request is a Result with a Class other than OK, never a
// Go error. All times are offsets from the run's load start (its t0), on the
// monotonic clock.
type Result struct {
	// Intended is when the schedule said the request should be sent. In the
	// open model latency is measured from here, so a stalled server or a
	// lagging generator shows in the tail (no coordinated omission).
	Intended time.Duration
	// Sent is when the request was actually handed to the transport.
	Sent time.Duration
	// End is when the response was fully read, or the request failed.
	End time.Duration
	// BytesIn and BytesOut count response and request body bytes.
	BytesIn, BytesOut int64
	// Repeat is how many more requests, alike in request, stage, class and
	// record interval, this result stands for. Only Dropped results use it:
	// a generator far behind its plan reports the requests it never sent in
	// a few results, not one by one.
	Repeat int64
	// Request indexes the run's request names (Header.Requests).
	Request uint16
	// Stage indexes the load stage the request was scheduled in.
	Stage uint16
	// Code is the HTTP status, 0 when no response arrived.
	Code uint16
	// Class says whether and how the request failed.
	Class ErrorClass
}

// Latency is the response time measured from the intended send time.
func (r *Result) Latency() time.Duration { return r.End - r.Intended }

// ServiceTime is the response time measured from the actual send time.
func (r *Result) ServiceTime() time.Duration { return r.End - r.Sent }

// Lag is how late the request was sent against its schedule.
func (r *Result) Lag() time.Duration { return r.Sent - r.Intended }

// ErrorClass classifies a request's outcome.
type ErrorClass uint8

// The error classes. OK, Dropped and Canceled are not errors: Dropped counts
// scheduled requests the generator never sent before the run's deadline, and
// Canceled counts requests cut short because the run was interrupted.
const (
	OK ErrorClass = iota
	Timeout
	ConnRefused
	ConnReset
	Transport
	HTTP4xx
	HTTP5xx
	ExpectationFailed
	Dropped
	Canceled
	// The gRPC classes, one per status code other than OK, in code order.
	GRPCCancelled
	GRPCUnknown
	GRPCInvalidArgument
	GRPCDeadlineExceeded
	GRPCNotFound
	GRPCAlreadyExists
	GRPCPermissionDenied
	GRPCResourceExhausted
	GRPCFailedPrecondition
	GRPCAborted
	GRPCOutOfRange
	GRPCUnimplemented
	GRPCInternal
	GRPCUnavailable
	GRPCDataLoss
	GRPCUnauthenticated
	numClasses
)

var classNames = [numClasses]string{
	OK:                     "ok",
	Timeout:                "timeout",
	ConnRefused:            "connection_refused",
	ConnReset:              "connection_reset",
	Transport:              "transport",
	HTTP4xx:                "http_4xx",
	HTTP5xx:                "http_5xx",
	ExpectationFailed:      "expectation_failed",
	Dropped:                "dropped",
	Canceled:               "canceled",
	GRPCCancelled:          "grpc_cancelled",
	GRPCUnknown:            "grpc_unknown",
	GRPCInvalidArgument:    "grpc_invalid_argument",
	GRPCDeadlineExceeded:   "grpc_deadline_exceeded",
	GRPCNotFound:           "grpc_not_found",
	GRPCAlreadyExists:      "grpc_already_exists",
	GRPCPermissionDenied:   "grpc_permission_denied",
	GRPCResourceExhausted:  "grpc_resource_exhausted",
	GRPCFailedPrecondition: "grpc_failed_precondition",
	GRPCAborted:            "grpc_aborted",
	GRPCOutOfRange:         "grpc_out_of_range",
	GRPCUnimplemented:      "grpc_unimplemented",
	GRPCInternal:           "grpc_internal",
	GRPCUnavailable:        "grpc_unavailable",
	GRPCDataLoss:           "grpc_data_loss",
	GRPCUnauthenticated:    "grpc_unauthenticated",
}

// String returns the class's stable name as used in records and summaries.
func (c ErrorClass) String() string {
	if c < numClasses {
		return classNames[c]
	}
	return "unknown"
}

// IsError reports whether the class counts as a failed request.
func (c ErrorClass) IsError() bool { return c != OK && c != Dropped && c != Canceled }

// ClassifyError maps a transport error to its class. interrupted tells
// whether the run's own context was cancelled, which makes a cancelled
// request Canceled rather than an error of the target.
func ClassifyError(err error, interrupted bool) ErrorClass {
	var ne net.Error
	switch {
	case interrupted && errors.Is(err, context.Canceled):
		return Canceled
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, os.ErrDeadlineExceeded),
		errors.As(err, &ne) && ne.Timeout():
		return Timeout
	case errors.Is(err, syscall.ECONNREFUSED):
		return ConnRefused
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE),
		errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return ConnReset
	}
	return Transport
}

// ClassifyStatus maps an HTTP status to its class. expect lists the statuses
// the scenario expects; when it is empty, any status below 400 is OK.
func ClassifyStatus(code int, expect []int) ErrorClass {
	if len(expect) > 0 {
		for _, s := range expect {
			if s == code {
				return OK
			}
		}
	}
	switch {
	case code >= 500:
		return HTTP5xx
	case code >= 400:
		return HTTP4xx
	case len(expect) > 0:
		return ExpectationFailed
	}
	return OK
}
