package authsvc

import (
	"strings"
	"testing"
)

func TestPasswordHashing(t *testing.T) {
	p := Argon2Params{MemoryKiB: 1024, Time: 1, Threads: 1}
	h, err := HashPassword("correct horse", p)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=1024,t=1,p=1$") {
		t.Errorf("hash %q is not PHC argon2id with the parameters", h)
	}
	if again, _ := HashPassword("correct horse", p); again == h {
		t.Error("two hashes of one password are equal: no salt")
	}
	tests := []struct {
		password, hash string
		want, wantErr  bool
	}{
		{"correct horse", h, true, false},
		{"correct horse!", h, false, false},
		{"", h, false, false},
		{"correct horse", "$2a$10$bcrypt", false, true},
		{"correct horse", strings.Replace(h, "v=19", "v=16", 1), false, true},
		{"correct horse", h[:len(h)-44] + "!!!", false, true},
	}
	for _, tt := range tests {
		got, err := VerifyPassword(tt.password, tt.hash)
		if got != tt.want || (err != nil) != tt.wantErr {
			t.Errorf("VerifyPassword(%q, %.30s...) = %v, %v; want %v, err %v", tt.password, tt.hash, got, err, tt.want, tt.wantErr)
		}
	}
}
