/* A stand-in java.exe for release/check.sh's wine checks of `kclrs run` (no JVM runs under wine
 * here): prints each argument on its own line, so the check sees what kclrs passed, then exits
 * with the code in KCLRS_STUB_EXIT (0 when unset), so the check sees kclrs hand it back. */
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
    const char *code = getenv("KCLRS_STUB_EXIT");
    for (int i = 1; i < argc; i++)
        printf("arg=%s\n", argv[i]);
    fflush(stdout);
    return code ? atoi(code) : 0;
}
