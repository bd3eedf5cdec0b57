/*
 * forkexec: a program that uses libscha, then fork()s and exec()s (here:
 * itself, which uses libscha again in the new process, and /bin/true),
 * and goes on using libscha in the parent. Run as
 * `forkexec RESOURCE GROUP`.
 */
#include <sys/wait.h>
#include <unistd.h>

#include "common.h"

static int
state_ok(const char *r, const char *rg)
{
	scha_resource_t h;
	scha_rsstate_t st;
	int ok;

	if (scha_resource_open(r, rg, &h) != SCHA_ERR_NOERR)
		return (0);
	ok = scha_resource_get(h, SCHA_RESOURCE_STATE, &st) == SCHA_ERR_NOERR;
	return (scha_resource_close(h) == SCHA_ERR_NOERR && ok);
}

static int
run(char *const argv[])
{
	pid_t pid;
	int status;

	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return (-1);
	if (pid == 0) {
		/* Between fork and exec only async-signal-safe calls: no libscha. */
		execv(argv[0], argv);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return (-1);
	return (WEXITSTATUS(status));
}

int
main(int argc, char **argv)
{
	int i;

	if (argc == 4 && strcmp(argv[3], "child") == 0)
		return (state_ok(argv[1], argv[2]) ? 0 : 3);
	if (argc != 3) {
		fprintf(stderr, "usage: forkexec RESOURCE GROUP\n");
		return (2);
	}
	CHECK(state_ok(argv[1], argv[2]));
	for (i = 0; i < 3; i++) {
		char *self[] = { argv[0], argv[1], argv[2], (char *)"child", NULL };
		char *t[] = { (char *)"/bin/true", NULL };

		CHECK(run(self) == 0);
		CHECK(run(t) == 0);
		CHECK(state_ok(argv[1], argv[2]));
	}
	return (finish());
}
