"""Serving: the one way in to a model. The loader hands each task its model's owner, which batches visitors in this
process or forwards them to the Serve application; no other layer touches a model or its tokenizer."""
