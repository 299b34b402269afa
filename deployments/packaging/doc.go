// Package packaging holds the tests of what operators deploy: the container
// image (built as the Dockerfile builds it), the compose files and the Helm
// chart (rendered by a pinned helm). It has no code of its own.
package packaging
