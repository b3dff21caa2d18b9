// Package runners generates load: it turns a plan of stages and requests into
// requests on the wire and one metrics.Result per request.
package runners

import (
	"context"

	"github.com/gauntletbench/gauntlet/metrics"
)

// A Runner drives load at a target. Run blocks until its plan completes or
// ctx is done, putting one metrics.Result per scheduled request into a
// buffer of out (one buffer per goroutine, closed before Run returns; a
// buffer holds back the intended send time of the request in hand, see
// metrics.Buffer). A failed request is a Result with an error class, not an
// error: Run returns an error only when the runner itself cannot run.
type Runner interface {
	Run(ctx context.Context, out *metrics.Sink) error
}

// A Noter is a Runner with more to say than Results: record lines such as
// metrics.Note or metrics.Probe. The engine calls SetNotes before Run and
// fills in each line's variant; fn is safe for concurrent use.
type Noter interface {
	SetNotes(fn func(line any))
}

// ClientName names the HTTP client r sends its requests with ("" for none
// known): for the summary.
func ClientName(r Runner) string { return clientOf(r).Name() }

// CloseClient closes the gRPC connections of r's client, once r has run.
func CloseClient(r Runner) error { return clientOf(r).Close() }

// CloseIdle closes the idle connections of the client r sends its requests with.
func CloseIdle(r Runner) { clientOf(r).CloseIdle() }

// clientOf returns the client r sends its requests with; nil for none known.
func clientOf(r Runner) *Client {
	switch r := r.(type) {
	case *Open:
		return r.Client
	case *Closed:
		return r.Client
	case *Search:
		return r.Client
	case *Tee:
		return clientOf(r.Runner)
	case *Phased:
		for _, seg := range r.Segments {
			if c := clientOf(seg.Runner); c != nil {
				return c
			}
		}
	}
	return nil
}
