using System.Runtime.InteropServices;

namespace Wuerstchen.Kernels.Jit;

/// <summary>
/// Machine code placed in its own pages and made executable, W^X: the pages are mapped read+write, the code
/// is copied in, and only then are they flipped to read+execute, so no page is ever writable and executable
/// at once. Linux x86-64 only (mmap/mprotect from libc); <see cref="IsSupported"/> says whether this process
/// can use it. The mapping is released on <see cref="Dispose"/>; kernels generated once per process are
/// simply kept for its lifetime.
/// </summary>
internal sealed unsafe partial class ExecutableMemory : IDisposable
{
    private const int ProtRead = 0x1, ProtWrite = 0x2, ProtExec = 0x4;
    private const int MapPrivate = 0x02, MapAnonymous = 0x20; // Linux values (macOS differs)

    private void* _address;
    private readonly nuint _length;

    public static bool IsSupported => OperatingSystem.IsLinux() && RuntimeInformation.ProcessArchitecture == Architecture.X64;

    /// <summary>Start of the executable code.</summary>
    public void* Address => _address != null ? _address : throw new ObjectDisposedException(nameof(ExecutableMemory));

    public int Length { get; }

    private ExecutableMemory(void* address, nuint mapped, int length)
    {
        _address = address;
        _length = mapped;
        Length = length;
    }

    /// <summary>Maps <paramref name="code"/> into fresh pages and makes them read+execute.</summary>
    public static ExecutableMemory Create(ReadOnlySpan<byte> code)
    {
        if (!IsSupported) throw new PlatformNotSupportedException("ExecutableMemory: run-time code generation needs Linux on x86-64.");
        if (code.IsEmpty) throw new ArgumentException("ExecutableMemory: no code.", nameof(code));
        nuint pageSize = (nuint)Environment.SystemPageSize;
        nuint mapped = ((nuint)code.Length + pageSize - 1) / pageSize * pageSize;
        void* p = mmap(null, mapped, ProtRead | ProtWrite, MapPrivate | MapAnonymous, -1, 0);
        if (p == (void*)-1)
            throw new OutOfMemoryException($"ExecutableMemory: mmap of {mapped} bytes failed (errno {Marshal.GetLastPInvokeError()}).");
        code.CopyTo(new Span<byte>(p, code.Length));
        if (mprotect(p, mapped, ProtRead | ProtExec) != 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            munmap(p, mapped);
            throw new InvalidOperationException($"ExecutableMemory: mprotect(read+exec) failed (errno {errno}); is W^X enforced by a policy that forbids it?");
        }
        return new ExecutableMemory(p, mapped, code.Length);
    }

    public void Dispose()
    {
        Free();
        GC.SuppressFinalize(this);
    }

    ~ExecutableMemory() => Free();

    private void Free()
    {
        var p = _address;
        _address = null;
        if (p != null) munmap(p, _length);
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial void* mmap(void* addr, nuint length, int prot, int flags, int fd, nint offset);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int mprotect(void* addr, nuint length, int prot);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int munmap(void* addr, nuint length);
}
