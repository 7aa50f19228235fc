"""serve: the governed API (`eduhouse serve`): every read of a mart or a report through the policy, into the access log."""
