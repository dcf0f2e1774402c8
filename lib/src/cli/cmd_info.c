/* cli/cmd_info.c — `lowbit info`: key: value lines describing the build and the machine. */
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "lowbit/info.h"

int lb_cmd_info(int argc, char **argv)
{
    if (argc > 1) return lb_cli_error("info: unexpected argument '%s'", argv[1]);
    const char *arch = lb_blis_arch_setup();
    int nreg;
    lb_registry(&nreg);
    printf("version: %s\n", lb_version());
    printf("git_sha: %s\n", lb_git_sha());
    printf("compiler: %s\n", lb_compiler());
    printf("cpus_online: %ld\n", sysconf(_SC_NPROCESSORS_ONLN));
    printf("blis_arch_type: %s\n", arch);
    printf("formats_registered: %d\n", nreg);
    return 0;
}
