package handler

import (
	"fmt"
	"io/fs"
	"net/http"
)

// serveMeta answers GET /meta/<encoded key> (path decoded): the seam for the metadata endpoint
// of the art-direction work (issue 12), which replaces this file with the real document. Until
// then the route exists and answers 404, so that the edge's /meta/ paths are routed and refused
// the same way everywhere.
func (h *Handler) serveMeta(w http.ResponseWriter, r *http.Request, path string, rl *requestLog) {
	rl.err = fmt.Errorf("%w: the metadata endpoint is not part of this build", fs.ErrNotExist)
	h.writeError(w, rl.err)
}
