complete --keep-order --exclusive --command mfa-env --arguments "(_MFA_ENV_COMPLETE=fish mfa-env -- (commandline --current-process --tokenize --cut-at-cursor) (commandline --current-token))"
