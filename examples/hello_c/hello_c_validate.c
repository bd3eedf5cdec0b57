/*
 * Validate (and Monitor_check) method of ORGM.hello_c: rejects a Port
 * outside 1..65535 among the -x settings, and a Workdir that is neither
 * empty (the default: hello_c beside rgmd's socket) nor an absolute path. rgmd checks the RTR bounds too; a data service checks
 * what only it knows, and this shows how the arguments arrive.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

int
main(int argc, char **argv)
{
	int c, bad = 0;

	while ((c = getopt(argc, argv, "cuR:T:G:r:x:g:Z:")) != -1) {
		if (c == '?')
			return (1);
		if (c != 'x')
			continue;
		if (strncasecmp(optarg, "Port=", 5) == 0) {
			long p = strtol(optarg + 5, NULL, 10);

			if (p < 1 || p > 65535) {
				fprintf(stderr, "Port %s is not in 1..65535\n", optarg + 5);
				bad = 1;
			}
		} else if (strncasecmp(optarg, "Workdir=", 8) == 0 &&
		    optarg[8] != '/' && optarg[8] != '\0') {
			fprintf(stderr, "Workdir %s is not an absolute path\n", optarg + 8);
			bad = 1;
		}
	}
	return (bad);
}
