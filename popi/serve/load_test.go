package serve

import (
	"context"
	"os"
	"testing"
	"time"
)

func TestRunLoadShort(t *testing.T) {
	_, hs := newTestServer(t, func(o *Options) { o.Engine = EngineOptions{MaxBatch: 4, QueueSize: 2} })
	res, err := RunLoad(context.Background(), LoadOptions{URL: hs.URL + "/v1", Model: "popi-tiny", Clients: 12,
		Duration: 1500 * time.Millisecond, MaxTokens: 8, ServerPID: os.Getpid()})
	if err != nil {
		t.Fatal(err)
	}
	if res.Errors != 0 || res.OK == 0 || res.Rejected == 0 || len(res.ByKind) != 3 || res.MaxRSSMiB <= 0 {
		t.Fatalf("load result %+v (want no errors, some 429s, all three kinds answered)", res)
	}
	for _, bad := range []string{"http://10.0.0.1:80/v1", "http://example.com/v1", "ftp://127.0.0.1/v1"} {
		if _, err := RunLoad(context.Background(), LoadOptions{URL: bad, Clients: 1, Duration: time.Second}); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
}
