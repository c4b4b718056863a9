/* TEST HARNESS ONLY, never shipped: Rust's std on Windows 10+ gets random bytes from
 * bcryptprimitives.dll's ProcessPrng, which Debian 12's wine 8.0 does not provide, so every Rust
 * exe fails to load there (status c0000135). release/check.sh builds this DLL with mingw-w64 into
 * its own wine prefix's system32; real Windows has the real DLL. ProcessPrng is answered with
 * advapi32's RtlGenRandom (exported as SystemFunction036), which wine does implement. */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T length)
{
    while (length > 0) {
        ULONG chunk = length > 0x40000000 ? 0x40000000 : (ULONG)length;
        if (!SystemFunction036(data, chunk))
            return FALSE;
        data += chunk;
        length -= chunk;
    }
    return TRUE;
}
