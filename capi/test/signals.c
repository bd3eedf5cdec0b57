/*
 * signals: a program with its own SIGCHLD and SIGTERM handlers, installed
 * before and after libscha starts. libscha must leave them in place and
 * they must fire, also while another thread is inside libscha. Run as
 * `signals RESOURCE GROUP`.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common.h"

static volatile sig_atomic_t got_chld, got_term, got_usr1;
static volatile int stop;
static const char *r, *rg;

static void on_chld(int sig) { (void)sig; got_chld++; }
static void on_term(int sig) { (void)sig; got_term++; }
static void on_usr1(int sig) { (void)sig; got_usr1++; }

static void
install(int sig, void (*fn)(int))
{
	struct sigaction sa;

	memset(&sa, 0, sizeof (sa));
	sa.sa_handler = fn;
	/* What a typical agent writes; no SA_ONSTACK. */
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	CHECK(sigaction(sig, &sa, NULL) == 0);
}

static int
still_mine(int sig, void (*fn)(int))
{
	struct sigaction sa;

	return (sigaction(sig, NULL, &sa) == 0 && sa.sa_handler == fn);
}

/* Keeps a thread inside libscha while signals arrive. */
static void *
busy(void *arg)
{
	int *errs = arg;

	while (!stop) {
		scha_resource_t h;
		scha_rsstate_t st;

		if (scha_resource_open(r, rg, &h) != SCHA_ERR_NOERR ||
		    scha_resource_get(h, SCHA_RESOURCE_STATE, &st) != SCHA_ERR_NOERR ||
		    scha_resource_close(h) != SCHA_ERR_NOERR)
			(*errs)++;
	}
	return (NULL);
}

static int
wait_for(volatile sig_atomic_t *flag, int want)
{
	int i;

	for (i = 0; i < 5000 && *flag < want; i++) {
		struct timespec ts = { 0, 1000000 };

		nanosleep(&ts, NULL);
	}
	return (*flag >= want);
}

int
main(int argc, char **argv)
{
	pthread_t t;
	int errs = 0, i;
	char *name = NULL;

	if (argc != 3) {
		fprintf(stderr, "usage: signals RESOURCE GROUP\n");
		return (2);
	}
	r = argv[1];
	rg = argv[2];
	/* libscha's runtime started when the program was loaded; SIGCHLD is
	 * installed before its first call, SIGTERM after. */
	install(SIGCHLD, on_chld);
	CHECK_ERR(scha_cluster_getnodename(&name), SCHA_ERR_NOERR);
	free(name);
	install(SIGTERM, on_term);
	install(SIGUSR1, on_usr1);
	CHECK(pthread_create(&t, NULL, busy, &errs) == 0);

	for (i = 1; i <= 5; i++) {
		pid_t pid = fork();

		if (pid == 0)
			_exit(0);
		CHECK(pid > 0);
		CHECK(wait_for(&got_chld, i));
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
		CHECK(kill(getpid(), SIGTERM) == 0);
		CHECK(wait_for(&got_term, i));
		CHECK(kill(getpid(), SIGUSR1) == 0);
		CHECK(wait_for(&got_usr1, i));
	}
	stop = 1;
	CHECK(pthread_join(t, NULL) == 0);
	CHECK(errs == 0);
	CHECK(still_mine(SIGCHLD, on_chld));
	CHECK(still_mine(SIGTERM, on_term));
	CHECK(still_mine(SIGUSR1, on_usr1));
	/* SIGINT and SIGHUP keep their default action: libscha took nothing. */
	{
		struct sigaction sa;

		CHECK(sigaction(SIGINT, NULL, &sa) == 0 && sa.sa_handler == SIG_DFL);
		CHECK(sigaction(SIGHUP, NULL, &sa) == 0 && sa.sa_handler == SIG_DFL);
	}
	return (finish());
}
