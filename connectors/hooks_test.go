package connectors

import "testing"

func TestZohoAPIDomain(t *testing.T) {
	tests := map[string]string{
		"zoho.com":     "https://www.zohoapis.com",
		"zoho.eu":      "https://www.zohoapis.eu",
		"zoho.com.au":  "https://www.zohoapis.com.au",
		"zohocloud.ca": "https://www.zohoapis.ca",
	}
	for in, want := range tests {
		if got := zohoAPIDomain(in); got != want {
			t.Errorf("zohoAPIDomain(%q) = %q, want %q", in, got, want)
		}
	}
}
