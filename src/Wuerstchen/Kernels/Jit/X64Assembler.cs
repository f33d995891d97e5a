namespace Wuerstchen.Kernels.Jit;

/// <summary>General-purpose 64-bit registers by their encoding number (REX.B/R/X supply bit 3).</summary>
internal enum Gpr : byte { Rax, Rcx, Rdx, Rbx, Rsp, Rbp, Rsi, Rdi, R8, R9, R10, R11, R12, R13, R14, R15 }

/// <summary>A memory operand [base + disp]: no index register, which none of our kernels need.</summary>
internal readonly record struct Mem(Gpr Base, int Disp = 0);

/// <summary>
/// A minimal x86-64 assembler: exactly the instructions the run-time generated kernels use, encoded by hand.
/// Only the forms below exist; each one is checked byte for byte against an assembler's output in
/// <c>X64AssemblerTests</c>.
///
/// <para><b>EVEX</b> (AVX-512), four prefix bytes then opcode, ModRM, [SIB], [disp]:</para>
/// <code>
///   62 | P0 = R̄ X̄ B̄ R̄' 0 m m m | P1 = W v̄ v̄ v̄ v̄ 1 p p | P2 = z L' L b V̄' a a a
/// </code>
/// <list type="bullet">
/// <item>mmm selects the opcode map (1 = 0F, 2 = 0F38); pp the implied SIMD prefix (0 none, 1 = 66, 2 = F3, 3 = F2).</item>
/// <item>The 5-bit register in ModRM.reg is R'·R·reg (both stored inverted); the 5-bit second source vvvv is
/// V'·vvvv (inverted). For a register in ModRM.rm, X·B·rm give its bits 4 and 3; for memory, B extends the base.</item>
/// <item>L'L = 10 is 512-bit; b = 1 with a memory operand is the {1toN} embedded broadcast of one element;
/// aaa = 0 means no opmask, z = 0 merge (irrelevant without a mask).</item>
/// <item>disp8·N: an 8-bit displacement is scaled by the memory access size N (64 for a zmm, 4 for a
/// broadcast dword), so [rsi + 64] encodes disp8 = 1. Displacements that are not a multiple of N, or too
/// large, take the 32-bit form, which is never scaled.</item>
/// </list>
/// <para><b>Legacy</b> integer instructions use REX = 0100 W R X B before the opcode.</para>
/// </summary>
internal sealed class X64Assembler
{
    private readonly List<byte> _code = [];

    public int Position => _code.Count;

    public byte[] ToArray() => [.. _code];

    // ------------------------------------------------------------------ AVX-512

    /// <summary>vmovups zmm, [mem]: EVEX.512.0F.W0 10 /r.</summary>
    public void VmovupsLoad(int zmm, Mem src) => EvexMem(map: 1, pp: 0, opcode: 0x10, reg: zmm, vvvv: 0, src, broadcast: false, n: 64);

    /// <summary>vmovups [mem], zmm: EVEX.512.0F.W0 11 /r.</summary>
    public void VmovupsStore(Mem dst, int zmm) => EvexMem(map: 1, pp: 0, opcode: 0x11, reg: zmm, vvvv: 0, dst, broadcast: false, n: 64);

    /// <summary>vdpbf16ps zmmDst, zmmSrc, [mem]{1to16}: EVEX.512.F3.0F38.W0 52 /r with a broadcast bf16 pair.</summary>
    public void Vdpbf16psBroadcast(int dst, int src, Mem pair) => EvexMem(map: 2, pp: 2, opcode: 0x52, reg: dst, vvvv: src, pair, broadcast: true, n: 4);

    /// <summary>vdpbf16ps zmmDst, zmmSrc, [mem] (a full zmm of 32 bf16).</summary>
    public void Vdpbf16ps(int dst, int src, Mem m) => EvexMem(map: 2, pp: 2, opcode: 0x52, reg: dst, vvvv: src, m, broadcast: false, n: 64);

    /// <summary>vdpbf16ps zmmDst, zmmSrc1, zmmSrc2: dst.f32[i] += src1.bf16[2i+1]·src2.bf16[2i+1] + src1.bf16[2i]·src2.bf16[2i].</summary>
    public void Vdpbf16ps(int dst, int src1, int src2) => EvexReg(map: 2, pp: 2, opcode: 0x52, reg: dst, vvvv: src1, rm: src2);

    /// <summary>vpbroadcastd zmm, [mem]: EVEX.512.66.0F38.W0 58 /r (disp8 scaled by 4, the element size).</summary>
    public void VpbroadcastdLoad(int zmm, Mem src) => EvexMem(map: 2, pp: 1, opcode: 0x58, reg: zmm, vvvv: 0, src, broadcast: false, n: 4);

    /// <summary>vcvtne2ps2bf16 zmmDst, zmmHi, zmmLo: EVEX.512.F2.0F38.W0 72 /r; low 16 bf16 from zmmLo, high 16 from zmmHi.</summary>
    public void Vcvtne2ps2bf16(int dst, int hi, int lo) => EvexReg(map: 2, pp: 3, opcode: 0x72, reg: dst, vvvv: hi, rm: lo);

    /// <summary>vpxord zmm, zmm, zmm: EVEX.512.66.0F.W0 EF /r (zeroing idiom when all three are equal).</summary>
    public void Vpxord(int dst, int src1, int src2) => EvexReg(map: 1, pp: 1, opcode: 0xEF, reg: dst, vvvv: src1, rm: src2);

    /// <summary>vzeroupper (VEX C5 F8 77): clears the upper halves so later SSE code pays no transition penalty.</summary>
    public void Vzeroupper() => Emit(0xC5, 0xF8, 0x77);

    // ------------------------------------------------------------------ integer

    /// <summary>mov r64, [mem]: REX.W 8B /r.</summary>
    public void MovLoad(Gpr dst, Mem src) => LegacyMem(0x8B, (int)dst, src);

    /// <summary>add r64, imm: REX.W 83 /0 ib when the immediate fits a signed byte, else REX.W 81 /0 id.</summary>
    public void AddImm(Gpr dst, int imm)
    {
        bool small = imm is >= sbyte.MinValue and <= sbyte.MaxValue;
        Rex(w: true, reg: 0, rm: (int)dst);
        Emit(small ? (byte)0x83 : (byte)0x81, ModRm(3, 0, (int)dst));
        if (small) Emit((byte)(sbyte)imm); else Imm32(imm);
    }

    /// <summary>add r64, r64: REX.W 01 /r (ModRM.rm is the destination).</summary>
    public void Add(Gpr dst, Gpr src)
    {
        Rex(w: true, reg: (int)src, rm: (int)dst);
        Emit(0x01, ModRm(3, (int)src, (int)dst));
    }

    /// <summary>dec r64: REX.W FF /1.</summary>
    public void Dec(Gpr r)
    {
        Rex(w: true, reg: 0, rm: (int)r);
        Emit(0xFF, ModRm(3, 1, (int)r));
    }

    /// <summary>test r64, r64: REX.W 85 /r.</summary>
    public void Test(Gpr a, Gpr b)
    {
        Rex(w: true, reg: (int)b, rm: (int)a);
        Emit(0x85, ModRm(3, (int)b, (int)a));
    }

    /// <summary>prefetcht0 [mem]: 0F 18 /1 (no REX needed for the low eight bases).</summary>
    public void Prefetcht0(Mem m)
    {
        if ((int)m.Base >= 8) Emit(0x41);
        Emit(0x0F, 0x18);
        ModRmMem(1, m, n: 1);
    }

    public void Ret() => Emit(0xC3);

    /// <summary>int3 (CC): padding between functions; traps if ever executed.</summary>
    public void Int3() => Emit(0xCC);

    // ------------------------------------------------------------------ branches

    /// <summary>A jump target; bind it once, before or after the jumps that use it.</summary>
    public sealed class Label
    {
        internal int Target = -1;
        internal readonly List<int> Fixups = [];
    }

    public void Bind(Label label)
    {
        if (label.Target >= 0) throw new InvalidOperationException("X64Assembler: label bound twice.");
        label.Target = Position;
        foreach (int at in label.Fixups) PatchRel32(at, label.Target);
    }

    /// <summary>jnz rel32: 0F 85 cd.</summary>
    public void Jnz(Label label) => Jcc(0x85, label);

    /// <summary>jz rel32: 0F 84 cd.</summary>
    public void Jz(Label label) => Jcc(0x84, label);

    private void Jcc(byte opcode, Label label)
    {
        Emit(0x0F, opcode);
        int at = Position;
        Imm32(0);
        if (label.Target >= 0) PatchRel32(at, label.Target);
        else label.Fixups.Add(at);
    }

    /// <summary>rel32 counts from the end of the 4-byte field.</summary>
    private void PatchRel32(int at, int target)
    {
        int rel = target - (at + 4);
        for (int i = 0; i < 4; i++) _code[at + i] = (byte)(rel >> (8 * i));
    }

    // ------------------------------------------------------------------ encoding helpers

    private void EvexReg(int map, int pp, byte opcode, int reg, int vvvv, int rm)
    {
        CheckZmm(reg); CheckZmm(vvvv); CheckZmm(rm);
        // Register rm: B = bit 3, X = bit 4 of its number.
        EvexPrefix(map, pp, reg, vvvv, x: (rm >> 4) & 1, b: (rm >> 3) & 1, broadcast: false);
        Emit(opcode, ModRm(3, reg, rm));
    }

    private void EvexMem(int map, int pp, byte opcode, int reg, int vvvv, Mem m, bool broadcast, int n)
    {
        CheckZmm(reg); CheckZmm(vvvv);
        EvexPrefix(map, pp, reg, vvvv, x: 0, b: ((int)m.Base >> 3) & 1, broadcast);
        Emit(opcode);
        ModRmMem(reg, m, n);
    }

    private void EvexPrefix(int map, int pp, int reg, int vvvv, int x, int b, bool broadcast)
    {
        int p0 = (((reg >> 3) & 1) ^ 1) << 7 | (x ^ 1) << 6 | (b ^ 1) << 5 | (((reg >> 4) & 1) ^ 1) << 4 | map;
        int p1 = 0 << 7 /* W0 */ | ((~vvvv) & 0xF) << 3 | 1 << 2 | pp;
        int p2 = 0 << 7 /* z */ | 2 << 5 /* L'L = 512 */ | (broadcast ? 1 : 0) << 4 | (((vvvv >> 4) & 1) ^ 1) << 3 /* aaa = 0 */;
        Emit(0x62, (byte)p0, (byte)p1, (byte)p2);
    }

    private void LegacyMem(byte opcode, int reg, Mem m)
    {
        Rex(w: true, reg: reg, rm: (int)m.Base);
        Emit(opcode);
        ModRmMem(reg, m, n: 1);
    }

    private void Rex(bool w, int reg, int rm) =>
        Emit((byte)(0x40 | (w ? 8 : 0) | ((reg >> 3) & 1) << 2 | ((rm >> 3) & 1)));

    /// <summary>
    /// ModRM (+ SIB, + displacement) for [base + disp]. mod 00 = no displacement, 01 = disp8 (scaled by
    /// <paramref name="n"/> under EVEX), 10 = disp32. rm = 100 means "a SIB byte follows" (needed for rsp/r12
    /// as base; SIB 24 = no index, base rsp); mod 00 with rm = 101 means RIP-relative, so rbp/r13 always
    /// carry a displacement.
    /// </summary>
    private void ModRmMem(int reg, Mem m, int n)
    {
        int baseLow = (int)m.Base & 7;
        int mod;
        if (m.Disp == 0 && baseLow != 5) mod = 0;
        else if (m.Disp % n == 0 && m.Disp / n is >= sbyte.MinValue and <= sbyte.MaxValue) mod = 1;
        else mod = 2;
        Emit(ModRm(mod, reg, baseLow));
        if (baseLow == 4) Emit(0x24);
        if (mod == 1) Emit((byte)(sbyte)(m.Disp / n));
        else if (mod == 2) Imm32(m.Disp);
    }

    private static byte ModRm(int mod, int reg, int rm) => (byte)(mod << 6 | (reg & 7) << 3 | (rm & 7));

    private static void CheckZmm(int r)
    {
        if ((uint)r > 31) throw new ArgumentOutOfRangeException(nameof(r), r, "X64Assembler: zmm registers are 0..31.");
    }

    private void Imm32(int v)
    {
        for (int i = 0; i < 4; i++) _code.Add((byte)(v >> (8 * i)));
    }

    private void Emit(params ReadOnlySpan<byte> bytes)
    {
        foreach (var b in bytes) _code.Add(b);
    }
}
