package services

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

const (
	// firstPollDelay and maxPollDelay bound the pause between readiness polls: fast at
	// first, to measure startup finely, then backing off.
	firstPollDelay = time.Millisecond
	maxPollDelay   = 20 * time.Millisecond
	// pollTimeout bounds one readiness request, so that a hung accept doesn't stall polling.
	pollTimeout = 500 * time.Millisecond
)

// errExited reports that the process ended while readiness was being polled.
var errExited = errors.New("exited before ready")

// errNotReady is the cause of the readiness deadline.
var errNotReady = errors.New("not ready")

// waitReady polls url until it answers 200 (a grpc:// url: until grpc.health.v1 answers
// SERVING, see GRPCReadyScheme). It gives up when the process exits, timeout passes or ctx is
// done.
func waitReady(ctx context.Context, url string, timeout time.Duration, exited <-chan struct{}) error {
	ctx, cancel := context.WithTimeoutCause(ctx, timeout, fmt.Errorf("%w within %s", errNotReady, timeout))
	defer cancel()
	// No keep-alive: a readiness check must not leave an idle connection in the service.
	transport := &http.Transport{DisableKeepAlives: true}
	defer transport.CloseIdleConnections()
	client := &http.Client{
		Transport: transport,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
	check := func(ctx context.Context) error { return poll(ctx, client, url) }
	if strings.HasPrefix(url, GRPCReadyScheme) {
		h, err := newGRPCHealth(url)
		if err != nil {
			return err
		}
		defer h.close()
		check = h.poll
	}

	delay := firstPollDelay
	var last error
	for {
		select {
		case <-exited:
			return errExited
		default:
		}
		err := check(ctx)
		if err == nil {
			return nil
		}
		if ctx.Err() == nil { // keep the last answer that wasn't cut short
			last = err
		}
		timer := time.NewTimer(delay)
		select {
		case <-exited:
			timer.Stop()
			return errExited
		case <-ctx.Done():
			timer.Stop()
			if last == nil {
				return fmt.Errorf("%w (no answer from %s)", context.Cause(ctx), url)
			}
			return fmt.Errorf("%w (last poll of %s: %v)", context.Cause(ctx), url, last)
		case <-timer.C:
		}
		delay = min(delay*3/2, maxPollDelay)
	}
}

// poll sends one GET to url; nil means it answered 200.
func poll(ctx context.Context, client *http.Client, url string) error {
	ctx, cancel := context.WithTimeout(ctx, pollTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("status %s", resp.Status)
	}
	return nil
}
