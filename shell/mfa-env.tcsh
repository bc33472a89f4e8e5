alias mfa-env 'set _mfa_env_code = ("`env _MFA_ENV_EVAL=tcsh mfa-env \!*:q`") && eval "$_mfa_env_code"; set _mfa_env_status = $status; unset _mfa_env_code; ( exit $_mfa_env_status )';
