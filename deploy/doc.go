// Package deploy holds BizOS Hub's deployment files (Kubernetes manifests
// under k8s/, Prometheus, Loki and Grafana configuration for compose.yaml)
// and the tests that check them, and compose.yaml and the Dockerfile at the
// repository root, offline: no Docker engine or cluster is needed.
package deploy
