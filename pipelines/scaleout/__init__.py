"""Scale-out: the same owners as Ray Serve deployments, their deployer and the checks each replica makes of its
callers. Nothing here is imported unless SHOWROOM_SERVE_URL or `serve start` asks for it."""
