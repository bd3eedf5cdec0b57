/*
 * bench: timings of libscha for scripts/bench (capi.go), which compiles
 * and runs it; not a test.
 *
 *	bench first R G       the first libscha call of a process, in µs
 *	bench loop R G N      medians of N gets on an open handle and of N
 *	                      open+get+close, in ns
 *	bench raw SOCK N LEN  median of N raw request/response round trips
 *	                      (LEN-byte request lines) on a Unix socket, in ns
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <scha.h>

static int64_t
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec);
}

static int
cmp(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x < y ? -1 : x > y);
}

static int64_t
median(int64_t *v, int n)
{
	qsort(v, (size_t)n, sizeof (*v), cmp);
	return (v[n / 2]);
}

int
main(int argc, char **argv)
{
	if (argc == 4 && strcmp(argv[1], "first") == 0) {
		scha_resource_t h;
		int64_t t0 = now();
		scha_err_t e = scha_resource_open(argv[2], argv[3], &h);
		int64_t t1 = now();

		if (e != SCHA_ERR_NOERR)
			return (e);
		printf("first_us %lld\n", (long long)((t1 - t0) / 1000));
		return (scha_resource_close(h));
	}
	if (argc == 5 && strcmp(argv[1], "loop") == 0) {
		int n = atoi(argv[4]), i;
		int64_t *v = calloc((size_t)n, sizeof (int64_t));
		scha_resource_t h;
		scha_rsstate_t st;

		if (scha_resource_open(argv[2], argv[3], &h) != SCHA_ERR_NOERR)
			return (1);
		for (i = 0; i < n; i++) {
			int64_t t0 = now();

			if (scha_resource_get(h, SCHA_RESOURCE_STATE, &st) != SCHA_ERR_NOERR)
				return (1);
			v[i] = now() - t0;
		}
		scha_resource_close(h);
		printf("get_ns %lld\n", (long long)median(v, n));
		for (i = 0; i < n; i++) {
			int64_t t0 = now();

			if (scha_resource_open(argv[2], argv[3], &h) != SCHA_ERR_NOERR ||
			    scha_resource_get(h, SCHA_RESOURCE_STATE, &st) != SCHA_ERR_NOERR ||
			    scha_resource_close(h) != SCHA_ERR_NOERR)
				return (1);
			v[i] = now() - t0;
		}
		printf("ocg_ns %lld\n", (long long)median(v, n));
		free(v);
		return (0);
	}
	if (argc == 5 && strcmp(argv[1], "raw") == 0) {
		int n = atoi(argv[3]), len = atoi(argv[4]), i, fd;
		int64_t *v = calloc((size_t)n, sizeof (int64_t));
		char *req = malloc((size_t)len), buf[4096];
		struct sockaddr_un sa;

		memset(req, 'x', (size_t)len);
		req[len - 1] = '\n';
		memset(&sa, 0, sizeof (sa));
		sa.sun_family = AF_UNIX;
		snprintf(sa.sun_path, sizeof (sa.sun_path), "%s", argv[2]);
		fd = socket(AF_UNIX, SOCK_STREAM, 0);
		if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof (sa)) != 0)
			return (1);
		for (i = 0; i < n; i++) {
			int64_t t0 = now();
			ssize_t got;

			if (write(fd, req, (size_t)len) != len)
				return (1);
			/* One reply line. */
			do {
				got = read(fd, buf, sizeof (buf));
			} while (got > 0 && buf[got - 1] != '\n');
			if (got <= 0)
				return (1);
			v[i] = now() - t0;
		}
		printf("raw_ns %lld\n", (long long)median(v, n));
		free(req);
		free(v);
		close(fd);
		return (0);
	}
	fprintf(stderr, "usage: bench first|loop|raw ...\n");
	return (2);
}
