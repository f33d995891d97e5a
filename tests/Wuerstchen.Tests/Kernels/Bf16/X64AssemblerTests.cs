using Wuerstchen.Kernels.Jit;

namespace Wuerstchen.Tests.Kernels.Bf16;

/// <summary>
/// The hand-written encoder against bytes produced by LLVM's assembler (<c>llvm-mc -show-encoding</c>, Intel
/// syntax, shown in each case): EVEX register extension (R', V', X as bit 4), disp8·N compression for full
/// vectors (N = 64) and broadcasts (N = 4), disp32 fallback, SIB for r12, forced displacement for r13.
/// </summary>
public class X64AssemblerTests
{
    private static string Hex(Action<X64Assembler> emit)
    {
        var asm = new X64Assembler();
        emit(asm);
        return Convert.ToHexString(asm.ToArray());
    }

    [Theory]
    [InlineData("vdpbf16ps zmm0, zmm30, dword ptr [rdi+4]{1to16}", "62F20E50524701")]
    [InlineData("vdpbf16ps zmm23, zmm31, dword ptr [rdi+44]{1to16}", "62E20650527F0B")]
    [InlineData("vdpbf16ps zmm1, zmm2, zmm3", "62F26E4852CB")]
    [InlineData("vdpbf16ps zmm17, zmm18, zmmword ptr [rsi+128]", "62E26E40524E02")]
    [InlineData("vmovups zmm30, zmmword ptr [rsi]", "62617C481036")]
    [InlineData("vmovups zmm31, zmmword ptr [rsi+64]", "62617C48107E01")]
    [InlineData("vmovups zmm5, zmmword ptr [r9+64]", "62D17C48106901")]
    [InlineData("vmovups zmmword ptr [rdx], zmm0", "62F17C481102")]
    [InlineData("vmovups zmmword ptr [rdx+64], zmm23", "62E17C48117A01")]
    [InlineData("vmovups zmmword ptr [rdx+200], zmm23", "62E17C4811BAC8000000")]
    [InlineData("vmovups zmm1, zmmword ptr [r12+64]", "62D17C48104C2401")]
    [InlineData("vmovups zmm1, zmmword ptr [r13]", "62D17C48104D00")]
    [InlineData("vpbroadcastd zmm29, dword ptr [rdi+8]", "62627D48586F02")]
    [InlineData("vcvtne2ps2bf16 zmm0, zmm1, zmm2", "62F2774872C2")]
    [InlineData("vpxord zmm7, zmm7, zmm7", "62F14548EFFF")]
    [InlineData("mov r10, qword ptr [rsp+8]", "4C8B542408")]
    [InlineData("add rdi, 48", "4883C730")]
    [InlineData("add rsi, 128", "4881C680000000")]
    [InlineData("add rdx, rcx", "4801CA")]
    [InlineData("add r9, r10", "4D01D1")]
    [InlineData("dec r8", "49FFC8")]
    [InlineData("test r8, r8", "4D85C0")]
    [InlineData("prefetcht0 byte ptr [rsi+512]", "0F188E00020000")]
    [InlineData("vzeroupper", "C5F877")]
    [InlineData("ret", "C3")]
    public void EncodesLikeAnAssembler(string instruction, string expected)
    {
        Action<X64Assembler> emit = instruction switch
        {
            "vdpbf16ps zmm0, zmm30, dword ptr [rdi+4]{1to16}" => a => a.Vdpbf16psBroadcast(0, 30, new Mem(Gpr.Rdi, 4)),
            "vdpbf16ps zmm23, zmm31, dword ptr [rdi+44]{1to16}" => a => a.Vdpbf16psBroadcast(23, 31, new Mem(Gpr.Rdi, 44)),
            "vdpbf16ps zmm1, zmm2, zmm3" => a => a.Vdpbf16ps(1, 2, 3),
            "vdpbf16ps zmm17, zmm18, zmmword ptr [rsi+128]" => a => a.Vdpbf16ps(17, 18, new Mem(Gpr.Rsi, 128)),
            "vmovups zmm30, zmmword ptr [rsi]" => a => a.VmovupsLoad(30, new Mem(Gpr.Rsi)),
            "vmovups zmm31, zmmword ptr [rsi+64]" => a => a.VmovupsLoad(31, new Mem(Gpr.Rsi, 64)),
            "vmovups zmm5, zmmword ptr [r9+64]" => a => a.VmovupsLoad(5, new Mem(Gpr.R9, 64)),
            "vmovups zmmword ptr [rdx], zmm0" => a => a.VmovupsStore(new Mem(Gpr.Rdx), 0),
            "vmovups zmmword ptr [rdx+64], zmm23" => a => a.VmovupsStore(new Mem(Gpr.Rdx, 64), 23),
            "vmovups zmmword ptr [rdx+200], zmm23" => a => a.VmovupsStore(new Mem(Gpr.Rdx, 200), 23),
            "vmovups zmm1, zmmword ptr [r12+64]" => a => a.VmovupsLoad(1, new Mem(Gpr.R12, 64)),
            "vmovups zmm1, zmmword ptr [r13]" => a => a.VmovupsLoad(1, new Mem(Gpr.R13)),
            "vpbroadcastd zmm29, dword ptr [rdi+8]" => a => a.VpbroadcastdLoad(29, new Mem(Gpr.Rdi, 8)),
            "vcvtne2ps2bf16 zmm0, zmm1, zmm2" => a => a.Vcvtne2ps2bf16(0, 1, 2),
            "vpxord zmm7, zmm7, zmm7" => a => a.Vpxord(7, 7, 7),
            "mov r10, qword ptr [rsp+8]" => a => a.MovLoad(Gpr.R10, new Mem(Gpr.Rsp, 8)),
            "add rdi, 48" => a => a.AddImm(Gpr.Rdi, 48),
            "add rsi, 128" => a => a.AddImm(Gpr.Rsi, 128),
            "add rdx, rcx" => a => a.Add(Gpr.Rdx, Gpr.Rcx),
            "add r9, r10" => a => a.Add(Gpr.R9, Gpr.R10),
            "dec r8" => a => a.Dec(Gpr.R8),
            "test r8, r8" => a => a.Test(Gpr.R8, Gpr.R8),
            "prefetcht0 byte ptr [rsi+512]" => a => a.Prefetcht0(new Mem(Gpr.Rsi, 512)),
            "vzeroupper" => a => a.Vzeroupper(),
            "ret" => a => a.Ret(),
            _ => throw new ArgumentException(instruction),
        };
        Assert.Equal(expected, Hex(emit));
    }

    [Fact]
    public void JumpsResolveForwardAndBackwardLabels()
    {
        var asm = new X64Assembler();
        var top = new X64Assembler.Label();
        var end = new X64Assembler.Label();
        asm.Bind(top);                 // 0
        asm.Jz(end);                   // 0: 0F 84 rel32 → end at 12: rel = 12 − 6 = 6
        asm.Jnz(top);                  // 6: 0F 85 rel32 → 0: rel = 0 − 12 = −12
        asm.Bind(end);                 // 12
        asm.Ret();
        Assert.Equal("0F84060000000F85F4FFFFFFC3", Convert.ToHexString(asm.ToArray()));
    }
}
