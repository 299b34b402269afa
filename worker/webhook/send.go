package webhook

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/switchboard-gw/switchboard/shared/event"
	"github.com/switchboard-gw/switchboard/shared/netguard"
)

// UserAgent is sent with every delivery.
const UserAgent = "Switchboard-Webhook/1"

// drainLimit bounds how much of a response body is read so the connection
// can be reused; the body itself is ignored.
const drainLimit = 64 << 10

// Sign returns the X-Switchboard-Signature value of body signed at ts:
// "sha256=" + hex(HMAC-SHA256(secret, ts + "." + body)).
func Sign(secret string, ts int64, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(strconv.FormatInt(ts, 10)))
	m.Write([]byte{'.'})
	m.Write(body)
	return event.SignaturePrefix + hex.EncodeToString(m.Sum(nil))
}

// outcome is the result of one request to one target.
type outcome struct {
	status    int    // HTTP status, 0 when no response
	err       string // why it failed, free of the URL and the secret
	permanent bool   // not worth retrying
}

func (o outcome) ok() bool { return o.err == "" }

// post sends body to target once. It returns the outcome; it never returns
// the URL in an error string because URLs may carry tokens.
func post(ctx context.Context, client *http.Client, timeout time.Duration, t target, typ event.Type, id string, body []byte, now time.Time) outcome {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, t.url, bytes.NewReader(body))
	if err != nil {
		return outcome{err: "invalid url", permanent: true}
	}
	ts := now.Unix()
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", UserAgent)
	req.Header.Set(event.HeaderEvent, string(typ))
	req.Header.Set(event.HeaderEventID, id)
	req.Header.Set(event.HeaderTimestamp, strconv.FormatInt(ts, 10))
	if t.secret != "" {
		req.Header.Set(event.HeaderSignature, Sign(t.secret, ts, body))
	}
	resp, err := client.Do(req)
	if err != nil {
		// A refused address is refused again on every retry.
		return outcome{err: requestError(ctx, err), permanent: errors.Is(err, netguard.ErrBlocked)}
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, drainLimit))
	_ = resp.Body.Close()
	return classify(resp.StatusCode)
}

// classify maps a response status to an outcome: 2xx delivered; 408, 429
// and 5xx retried; everything else (other 4xx, unfollowed 3xx, 1xx) permanent.
func classify(status int) outcome {
	switch {
	case status >= 200 && status < 300:
		return outcome{status: status}
	case status == http.StatusRequestTimeout, status == http.StatusTooManyRequests, status >= 500:
		return outcome{status: status, err: "http status " + strconv.Itoa(status)}
	case status >= 300 && status < 400:
		return outcome{status: status, err: "http status " + strconv.Itoa(status) + " (redirects are not followed)", permanent: true}
	default:
		return outcome{status: status, err: "http status " + strconv.Itoa(status), permanent: true}
	}
}

// requestError describes a transport failure without the URL: *url.Error
// prints it whole, query string and all.
func requestError(ctx context.Context, err error) string {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return "request timed out"
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return fmt.Sprintf("request failed: %v", err)
}

// redact returns scheme://host of raw, the only part of a webhook URL that
// may be logged.
func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return "invalid"
	}
	return u.Scheme + "://" + u.Host
}
