-- wrk script: Login With Password, always the same profile and password.
wrk.method = "POST"
wrk.body = os.getenv("LOGIN_BODY")
