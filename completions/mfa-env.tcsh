complete mfa-env 'p,*,`env _MFA_ENV_COMPLETE=tcsh mfa-env -- "${COMMAND_LINE}"`,'
