"""Application protocols over reassembled streams: HTTP/1.x and DNS transactions."""
