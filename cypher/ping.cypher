// Answers 1 when the server, the credentials and the database are all fine.
RETURN 1 AS ok
