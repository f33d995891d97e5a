using Wuerstchen.Kernels.Jit;

namespace Wuerstchen.Kernels.Bf16;

/// <summary>
/// The AVX512_BF16 micro-kernel, generated as machine code at run time because .NET has no intrinsic for
/// <c>vdpbf16ps</c>. One function per row count 1…12 (so edge tiles run no masked or wasted rows), all in one
/// block of executable memory, called through unmanaged function pointers with the System V ABI:
/// <code>
/// void kernel(uint* a /*rdi*/, uint* b /*rsi*/, float* c /*rdx*/, long ldcBytes /*rcx*/,
///             long pairs /*r8*/, float* init /*r9*/, long initLdBytes /*[rsp+8]*/)
/// </code>
/// Register plan for R rows: accumulators zmm0…zmm(2R−1) (row r in zmm2r = columns 0–15, zmm2r+1 = 16–31),
/// the B depth pair in zmm30/zmm31, A's pairs broadcast into zmm28/zmm29 by turns. Per depth pair the loop loads
/// 128 bytes of B and, per row, <c>vpbroadcastd</c>s A's pair once and issues two <c>vdpbf16ps acc, Bk, Ar</c>.
/// (An embedded-broadcast memory operand on each <c>vdpbf16ps</c> instead loads A's pair twice: 26 loads per
/// 24 dot products, more than Zen 5's two 512-bit loads a cycle at two dot products a cycle; micro-kernel 400 →
/// 441 GFLOP/CPU-s.) Each instruction is 32 multiply-adds, twice an fp32 FMA's 16; 24 independent accumulators
/// cover its latency. Only caller-saved registers are used
/// (rax, rcx, rdx, rsi, rdi, r8–r10, zmm0–31 are all volatile in System V), so there is no prologue; the
/// epilogue is <c>vzeroupper; ret</c>. The loop is unrolled twice to halve the pointer and counter updates.
/// </summary>
internal readonly unsafe struct Bf16JitKernel : IBf16MicroKernel
{
    private const int MR = Bf16Packing.MR;

    /// <summary>The generated code (null when unsupported) and why it is unavailable otherwise.</summary>
    private static readonly (ExecutableMemory? Code, nint[] Entries, string? Failure) Generated = Generate();

    /// <summary>True when the CPU has AVX512_BF16 and the kernels were generated and mapped executable.</summary>
    public static bool IsAvailable => Generated.Code != null;

    /// <summary>Why <see cref="IsAvailable"/> is false (null when it is true).</summary>
    public static string? UnavailableReason => Generated.Failure;

    public static void Run(int rows, int pairs, uint* a, uint* b, float* c, long ldc, float* init, long initLd)
    {
        if ((uint)(rows - 1) >= MR) throw new ArgumentOutOfRangeException(nameof(rows), rows, "A bf16 micro-tile has 1..12 rows.");
        var entries = Generated.Entries;
        if (entries.Length == 0) throw new PlatformNotSupportedException($"The bf16 JIT kernel is unavailable: {UnavailableReason}");
        // SuppressGCTransition: the kernel is a few microseconds of arithmetic that never calls back or blocks,
        // so the managed→native frame transition (tens of ns per call) is skipped.
        var kernel = (delegate* unmanaged[SuppressGCTransition]<uint*, uint*, float*, long, long, float*, long, void>)entries[rows - 1];
        kernel(a, b, c, ldc * sizeof(float), pairs, init, initLd * sizeof(float));
    }

    private static (ExecutableMemory?, nint[], string?) Generate()
    {
        if (!CpuFeatures.Avx512Bf16) return (null, [], "this CPU has no AVX512_BF16 (CPUID.(EAX=7,ECX=1):EAX[5])");
        if (!ExecutableMemory.IsSupported) return (null, [], "run-time code generation needs Linux on x86-64");
        try
        {
            var asm = new X64Assembler();
            var offsets = new int[MR];
            for (int rows = 1; rows <= MR; rows++)
            {
                // 64-byte aligned entries, padded with int3 (never executed).
                while (asm.Position % 64 != 0) asm.Int3();
                offsets[rows - 1] = asm.Position;
                EmitKernel(asm, rows);
            }
            var code = ExecutableMemory.Create(asm.ToArray());
            var entries = offsets.Select(o => (nint)((byte*)code.Address + o)).ToArray();
            return (code, entries, null);
        }
        catch (Exception e) when (e is PlatformNotSupportedException or InvalidOperationException or OutOfMemoryException or DllNotFoundException or EntryPointNotFoundException)
        {
            return (null, [], e.Message);
        }
    }

    /// <summary>Emits the kernel for <paramref name="rows"/> rows (see the class comment for the register plan).</summary>
    internal static void EmitKernel(X64Assembler asm, int rows)
    {
        const int B0 = 30, B1 = 31, A0 = 28;
        Gpr a = Gpr.Rdi, b = Gpr.Rsi, c = Gpr.Rdx, ldc = Gpr.Rcx, pairs = Gpr.R8, init = Gpr.R9, initLd = Gpr.R10;

        // acc[r] ← init[r]: C, a bias row (initLd = 0) or zeros.
        asm.MovLoad(initLd, new Mem(Gpr.Rsp, 8));
        for (int r = 0; r < rows; r++)
        {
            asm.VmovupsLoad(2 * r, new Mem(init));
            asm.VmovupsLoad(2 * r + 1, new Mem(init, 64));
            if (r + 1 < rows) asm.Add(init, initLd);
        }

        // Two depth pairs per iteration, then one more when the count is odd.
        var single = new X64Assembler.Label();
        var loop = new X64Assembler.Label();
        var done = new X64Assembler.Label();
        asm.Test(pairs, pairs);
        asm.Jz(done);
        asm.Dec(pairs);                       // pairs − 1 = how many remain after the first
        asm.Jz(single);
        asm.Bind(loop);
        for (int u = 0; u < 2; u++)
        {
            asm.VmovupsLoad(B0, new Mem(b, 128 * u));
            asm.VmovupsLoad(B1, new Mem(b, 128 * u + 64));
            for (int r = 0; r < rows; r++)
            {
                int pair = A0 + (r & 1);
                asm.VpbroadcastdLoad(pair, new Mem(a, 4 * (MR * u + r)));
                asm.Vdpbf16ps(2 * r, B0, pair);
                asm.Vdpbf16ps(2 * r + 1, B1, pair);
            }
        }
        asm.AddImm(a, 2 * 4 * MR);
        asm.AddImm(b, 2 * 128);
        asm.Dec(pairs);
        asm.Jz(done);                         // even count: all consumed
        asm.Dec(pairs);
        asm.Jnz(loop);
        asm.Bind(single);                     // exactly one pair left
        asm.VmovupsLoad(B0, new Mem(b));
        asm.VmovupsLoad(B1, new Mem(b, 64));
        for (int r = 0; r < rows; r++)
        {
            int pair = A0 + (r & 1);
            asm.VpbroadcastdLoad(pair, new Mem(a, 4 * r));
            asm.Vdpbf16ps(2 * r, B0, pair);
            asm.Vdpbf16ps(2 * r + 1, B1, pair);
        }
        asm.Bind(done);

        for (int r = 0; r < rows; r++)
        {
            asm.VmovupsStore(new Mem(c), 2 * r);
            asm.VmovupsStore(new Mem(c, 64), 2 * r + 1);
            if (r + 1 < rows) asm.Add(c, ldc);
        }
        asm.Vzeroupper();
        asm.Ret();
    }
}
