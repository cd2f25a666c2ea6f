"""Cameras: reference data beside incidents, folded from the log and looked up by place."""
