package redisstore_test

import (
	"context"
	"testing"
	"time"

	"github.com/bizoshub/bizos/internal/testenv"
	"github.com/bizoshub/bizos/redisstore"
)

func TestRateLimiter(t *testing.T) {
	ctx := context.Background()
	rdb, prefix := testenv.NewRedis(t)
	l := redisstore.NewRateLimiter(rdb, prefix)
	// Two limiters on one Redis behave as one: the limit holds across replicas.
	other := redisstore.NewRateLimiter(rdb, prefix)
	var got []bool
	for i := 0; i < 5; i++ {
		lim := l
		if i%2 == 1 {
			lim = other
		}
		ok, wait, err := lim.Allow(ctx, "k", 3, time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		if !ok && (wait <= 0 || wait > time.Minute) {
			t.Errorf("refusal wait = %v", wait)
		}
		got = append(got, ok)
	}
	want := []bool{true, true, true, false, false}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("allowed = %v, want %v", got, want)
		}
	}
	if err := l.Reset(ctx, "k"); err != nil {
		t.Fatal(err)
	}
	if ok, _, _ := l.Allow(ctx, "k", 3, time.Minute); !ok {
		t.Error("refused after reset")
	}
	if ok, _, _ := l.Allow(ctx, "other-key", 1, time.Minute); !ok {
		t.Error("keys are not independent")
	}
}

func TestRateLimiterWindowEnds(t *testing.T) {
	ctx := context.Background()
	rdb, prefix := testenv.NewRedis(t)
	l := redisstore.NewRateLimiter(rdb, prefix)
	if ok, _, _ := l.Allow(ctx, "w", 1, 50*time.Millisecond); !ok {
		t.Fatal("first event refused")
	}
	if ok, _, _ := l.Allow(ctx, "w", 1, 50*time.Millisecond); ok {
		t.Fatal("second event allowed inside the window")
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		if ok, _, _ := l.Allow(ctx, "w", 1, 50*time.Millisecond); ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("window never ended")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestCache(t *testing.T) {
	ctx := context.Background()
	rdb, prefix := testenv.NewRedis(t)
	c := redisstore.NewCache(rdb, prefix)
	if _, ok, err := c.Get(ctx, "x"); ok || err != nil {
		t.Fatalf("missing key: ok=%v err=%v", ok, err)
	}
	if err := c.Set(ctx, "x", []byte("v"), time.Minute); err != nil {
		t.Fatal(err)
	}
	if v, ok, err := c.Get(ctx, "x"); !ok || err != nil || string(v) != "v" {
		t.Fatalf("get = %q %v %v", v, ok, err)
	}
}

func TestStatesAreSingleUse(t *testing.T) {
	ctx := context.Background()
	rdb, prefix := testenv.NewRedis(t)
	s := redisstore.NewStates(rdb, prefix)
	if err := s.Put(ctx, "st", []byte("v"), time.Minute); err != nil {
		t.Fatal(err)
	}
	if v, ok, err := s.Take(ctx, "st"); !ok || err != nil || string(v) != "v" {
		t.Fatalf("first take = %q %v %v", v, ok, err)
	}
	if _, ok, _ := s.Take(ctx, "st"); ok {
		t.Error("a state was taken twice")
	}
}

func TestLockerExcludes(t *testing.T) {
	ctx := context.Background()
	rdb, prefix := testenv.NewRedis(t)
	l := redisstore.NewLocker(rdb, prefix)
	unlock, err := l.Lock(ctx, "conn", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	short, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	if _, err := redisstore.NewLocker(rdb, prefix).Lock(short, "conn", time.Minute); err == nil {
		t.Fatal("a second holder got the lease")
	}
	unlock()
	unlock2, err := l.Lock(ctx, "conn", time.Minute)
	if err != nil {
		t.Fatalf("lease not free after unlock: %v", err)
	}
	unlock2()
}
