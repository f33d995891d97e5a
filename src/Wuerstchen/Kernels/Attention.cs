namespace Wuerstchen.Kernels;

/// <summary>
/// Where the rows of one operand of attention live: element (b, h, row, col) is at
/// Data + b·Batch + h·Head + row·Row + col (the last dim is contiguous). This covers contiguous [B, H, L, D]
/// tensors and head views of [B, L, H·D] projections alike, so heads are never copied out.
/// </summary>
public readonly unsafe struct AttentionOperand(float* data, long batch, long head, long row)
{
    public readonly float* Data = data;
    public readonly long Batch = batch, Head = head, Row = row;
}

/// <summary>
/// An additive mask broadcast over [B, H, Lq, Lk]: element (b, h, i, j) is at
/// Data + b·Batch + h·Head + i·Row + j·Column with Column ∈ {0, 1}.
/// </summary>
public readonly unsafe struct AttentionMask(float* data, long batch, long head, long row, int column)
{
    public readonly float* Data = data;
    public readonly long Batch = batch, Head = head, Row = row;
    public readonly int Column = column;
}

/// <summary>
/// Fused scaled dot-product attention, softmax(q·kᵀ·scale + mask)·v, computed blockwise with an online softmax
/// (running row max m and row sum l, rescaling the partial output whenever m grows), so the Lq×Lk score matrix is
/// never materialised: a work item holds one block of <see cref="QueryBlock"/> queries and walks the keys in
/// blocks of <see cref="KeyBlock"/>. With AVX-512 it runs transposed on the GEMM micro-kernel directly
/// (<see cref="AttentionAvx512"/>: keys and values packed once per head); elsewhere both products go through
/// <see cref="Gemm.Sgemm"/> (<see cref="RowMajor"/>). Work items are spread over the engine's threads; scratch
/// buffers are per thread.
/// </summary>
public static unsafe class Attention
{
    public const int QueryBlock = 256;
    public const int KeyBlock = 256;

    [ThreadStatic] private static float[]? _scratch;

    /// <summary>
    /// o[b, h, i, :] = Σ_j softmax_j(scale·q_i·k_j + mask[b, h, i, j] (−∞ for j &gt; i when causal))·v_j for
    /// b &lt; batch, h &lt; heads, i &lt; lq; q and k rows have d elements, v and o rows dv. A query row whose keys are
    /// all masked gets NaN, as torch's softmax of an all −∞ row.
    /// </summary>
    public static void Forward(int batch, int heads, int lq, int lk, int d, int dv,
        AttentionOperand q, AttentionOperand k, AttentionOperand v, AttentionMask? mask, bool causal, float scale,
        AttentionOperand o)
    {
        if (AttentionAvx512.IsSupported)
        {
            AttentionAvx512.Forward(batch, heads, lq, lk, d, dv, q, k, v, mask, causal, scale, o);
            return;
        }
        RowMajor(batch, heads, lq, lk, d, dv, q, k, v, mask, causal, scale, o);
    }

    /// <summary>The portable path (CPUs without AVX-512): queries × keys blocks through <see cref="Gemm.Sgemm"/>, softmax along each query's row.</summary>
    internal static void RowMajor(int batch, int heads, int lq, int lk, int d, int dv,
        AttentionOperand q, AttentionOperand k, AttentionOperand v, AttentionMask? mask, bool causal, float scale,
        AttentionOperand o)
    {
        if (batch <= 0 || heads <= 0 || lq <= 0 || dv <= 0) return;
        int queryBlocks = (lq + QueryBlock - 1) / QueryBlock;
        int scratchSize = QueryBlock * d + QueryBlock * KeyBlock + QueryBlock * dv + 2 * QueryBlock;
        Threads.For(batch * heads * queryBlocks, item =>
        {
            int qb = item % queryBlocks, bh = item / queryBlocks;
            int b = bh / heads, h = bh % heads;
            int i0 = qb * QueryBlock, rows = Math.Min(QueryBlock, lq - i0);
            if (_scratch == null || _scratch.Length < scratchSize) _scratch = GC.AllocateUninitializedArray<float>(scratchSize, pinned: true);
            fixed (float* scratch = _scratch)
            {
                float* qs = scratch;                         // [rows, d] scaled queries, packed
                float* s = qs + QueryBlock * d;              // [rows, KeyBlock] scores, then probabilities
                float* acc = s + QueryBlock * KeyBlock;      // [rows, dv] unnormalised output
                float* m = acc + QueryBlock * dv;            // running row max
                float* l = m + QueryBlock;                   // running row sum
                float* qRows = q.Data + b * q.Batch + h * q.Head + i0 * q.Row;
                for (int r = 0; r < rows; r++)
                    Elementwise.MapSerial(new MulScalarOp(scale), qRows + r * q.Row, qs + r * d, d);
                new Span<float>(acc, rows * dv).Clear();
                new Span<float>(m, rows).Fill(float.NegativeInfinity);
                new Span<float>(l, rows).Clear();
                float* kHead = k.Data + b * k.Batch + h * k.Head;
                float* vHead = v.Data + b * v.Batch + h * v.Head;
                // With the causal mask, query i sees keys j ≤ i: blocks past the last row's diagonal are skipped.
                int keyEnd = causal ? Math.Min(lk, i0 + rows) : lk;
                for (int j0 = 0; j0 < keyEnd; j0 += KeyBlock)
                {
                    int cols = Math.Min(KeyBlock, keyEnd - j0);
                    Gemm.Sgemm(false, true, rows, cols, d, 1f, qs, d, kHead + j0 * k.Row, k.Row, 0f, s, cols);
                    if (mask is { } mk)
                    {
                        float* mRows = mk.Data + b * mk.Batch + h * mk.Head + i0 * mk.Row + (long)j0 * mk.Column;
                        for (int r = 0; r < rows; r++)
                            AddMaskRow(s + r * cols, mRows + r * mk.Row, mk.Column, cols);
                    }
                    if (causal)
                        for (int r = 0; r < rows; r++)
                        {
                            int firstHidden = Math.Max(0, i0 + r + 1 - j0);
                            if (firstHidden < cols) new Span<float>(s + r * cols + firstHidden, cols - firstHidden).Fill(float.NegativeInfinity);
                        }
                    for (int r = 0; r < rows; r++)
                        OnlineSoftmaxRow(s + r * cols, cols, ref m[r], ref l[r], acc + r * dv, dv);
                    Gemm.Sgemm(false, false, rows, dv, cols, 1f, s, cols, vHead + j0 * v.Row, v.Row, 1f, acc, dv);
                }
                float* oRows = o.Data + b * o.Batch + h * o.Head + i0 * o.Row;
                for (int r = 0; r < rows; r++)
                    Elementwise.MapSerial(new MulScalarOp(1f / l[r]), acc + r * dv, oRows + r * o.Row, dv);
            }
        });
    }

    internal static void AddMaskRow(float* s, float* mask, int column, int n)
    {
        if (column == 0)
        {
            float add = *mask;
            for (int j = 0; j < n; j++) s[j] += add;
        }
        else Elementwise.ZipSerial(default(AddOp), s, 1, mask, 1, s, n);
    }

    /// <summary>
    /// Folds one block of scores into the running softmax of a row: s becomes exp(s − m'), the partial output is
    /// rescaled by exp(m − m') and l accumulates. A row that is still entirely −∞ contributes nothing.
    /// </summary>
    internal static void OnlineSoftmaxRow(float* s, int n, ref float m, ref float l, float* acc, int dv)
    {
        float blockMax = Reductions.Max(s, n);
        float newMax = MathF.Max(m, blockMax);
        if (float.IsNegativeInfinity(newMax))
        {
            new Span<float>(s, n).Clear();
            return;
        }
        if (newMax > m && l > 0)
        {
            float correction = MathF.Exp(m - newMax);
            l *= correction;
            Elementwise.MapSerial(new MulScalarOp(correction), acc, acc, dv);
        }
        m = newMax;
        l += ExpShiftedInPlace(s, n, newMax);
    }

    /// <summary>s[i] = exp(s[i] − shift); returns Σ s[i].</summary>
    private static float ExpShiftedInPlace(float* s, int n, float shift)
    {
        if (V512.IsAccelerated) return ExpShiftedCore<V512>(s, n, shift);
        if (V256.IsAccelerated) return ExpShiftedCore<V256>(s, n, shift);
        return ExpShiftedCore<V128>(s, n, shift);
    }

    private static float ExpShiftedCore<TV>(float* s, int n, float shift) where TV : unmanaged, ISimd<TV>
    {
        var m = TV.Create(shift);
        var sum = TV.Create(0f);
        int i = 0;
        for (; i + TV.Count <= n; i += TV.Count)
        {
            var e = VectorMath.Exp(TV.Load(s + i) - m);
            TV.Store(e, s + i);
            sum += e;
        }
        float total = TV.Sum(sum);
        if (i < n)
        {
            float* pad = stackalloc float[TV.Count];
            for (int j = 0; j < TV.Count; j++) pad[j] = i + j < n ? s[i + j] : float.NegativeInfinity;
            var e = VectorMath.Exp(TV.Load(pad) - m);
            TV.Store(e, pad);
            for (int j = 0; i + j < n; j++) { s[i + j] = pad[j]; total += pad[j]; }
        }
        return total;
    }
}
