package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"time"
)

// controllerClient makes the enforcer's calls to guard's controller (src/enforcer/controller-client.ts): register
// with the seat's token, heartbeat with the session and the newest token, leave. Failures are values.
type controllerClient struct {
	url     string
	timeout time.Duration
	http    *http.Client
}

type answer struct {
	ok        bool
	reachable bool
	status    int
	code      string
	message   string
	session   string
	heartbeat time.Duration
}

func (a answer) describe() string {
	if a.reachable {
		return fmt.Sprintf("%s [%s]", a.message, a.code)
	}
	return "it cannot be reached (" + a.message + ")"
}

func newControllerClient(base string, timeout time.Duration) *controllerClient {
	return &controllerClient{url: base, timeout: timeout, http: &http.Client{}}
}

var sessionPattern = regexp.MustCompile(`^\S{1,512}$`)

func (c *controllerClient) register(nodeID, token, host string) answer {
	body := map[string]string{"nodeId": nodeID, "token": token}
	if host != "" {
		body["host"] = host
	}
	got := c.call(http.MethodPost, "/api/enforcers", "", body)
	if !got.ok {
		return got
	}
	var registration struct {
		Session     string   `json:"session"`
		HeartbeatMs *float64 `json:"heartbeatMs"`
	}
	if json.Unmarshal([]byte(got.message), &registration) != nil || !sessionPattern.MatchString(registration.Session) || registration.HeartbeatMs == nil {
		return answer{reachable: true, status: got.status, code: "BAD_ANSWER", message: "The controller answered with a body the enforcer cannot use; check that --controller names a guard controller."}
	}
	got.session, got.heartbeat = registration.Session, time.Duration(*registration.HeartbeatMs)*time.Millisecond
	return got
}

func (c *controllerClient) heartbeat(nodeID, session, token string) answer {
	return c.call(http.MethodPost, "/api/enforcers/"+url.PathEscape(nodeID)+"/heartbeat", session, map[string]string{"token": token})
}

func (c *controllerClient) leave(nodeID, session string) answer {
	return c.call(http.MethodDelete, "/api/enforcers/"+url.PathEscape(nodeID), session, nil)
}

// call answers ok with the body's text in message, or the controller's refusal, or unreachable.
func (c *controllerClient) call(method, path, session string, body any) answer {
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	defer cancel()
	var payload io.Reader
	if body != nil {
		text, _ := json.Marshal(body)
		payload = bytes.NewReader(text)
	}
	request, err := http.NewRequestWithContext(ctx, method, c.url+path, payload)
	if err != nil {
		return answer{message: err.Error()}
	}
	if body != nil {
		request.Header.Set("content-type", "application/json")
	}
	if session != "" {
		request.Header.Set("authorization", "Bearer "+session)
	}
	response, err := c.http.Do(request)
	if err != nil {
		return answer{message: err.Error()}
	}
	defer response.Body.Close()
	text, _ := io.ReadAll(io.LimitReader(response.Body, 1<<20))
	if response.StatusCode >= 200 && response.StatusCode < 300 {
		return answer{ok: true, reachable: true, status: response.StatusCode, message: string(text)}
	}
	var refusal struct {
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	_ = json.Unmarshal(text, &refusal)
	got := answer{reachable: true, status: response.StatusCode, code: refusal.Error.Code, message: refusal.Error.Message}
	if got.code == "" {
		got.code = fmt.Sprintf("HTTP_%d", response.StatusCode)
	}
	if got.message == "" {
		got.message = fmt.Sprintf("The controller answered HTTP %d.", response.StatusCode)
	}
	return got
}
