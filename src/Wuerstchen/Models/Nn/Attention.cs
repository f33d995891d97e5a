using Wuerstchen.Models.Weights;
using Wuerstchen.Tensors;

namespace Wuerstchen.Models.Nn;

/// <summary>
/// Multi-head attention with separate biased projections, keys <c>to_q</c>, <c>to_k</c>, <c>to_v</c>,
/// <c>to_out.0</c> (diffusers <c>Attention(query_dim=c, heads, dim_head=c/heads, bias=True)</c>), as Würstchen's
/// AttnBlock uses it: queries from a token sequence, keys and values from that sequence followed by extra
/// (condition) tokens, no mask, softmax scale d^-1/2.
/// </summary>
public sealed class Attention : Module
{
    private readonly Linear _toQ, _toK, _toV, _toOut;

    public int Heads { get; }

    public Attention(WeightSource ws, int c, int heads)
    {
        if (heads < 1 || c % heads != 0) throw new ArgumentException($"{ws}: {heads} heads do not divide {c} channels.");
        Heads = heads;
        _toQ = Own(new Linear(ws.Scope("to_q"), c, c));
        _toK = Own(new Linear(ws.Scope("to_k"), c, c));
        _toV = Own(new Linear(ws.Scope("to_v"), c, c));
        _toOut = Own(new Linear(ws.Scope("to_out.0"), c, c));
    }

    /// <summary>
    /// Self-attention over <b>[tokens ; extra]</b> whose extra tokens' keys and values are already projected
    /// (<see cref="ProjectKeysValues"/>): the same result as <c>Forward(tokens, cat[tokens, extra])</c>, since the
    /// projections act on each token alone; the step-invariant extra tokens are projected once, not at every call.
    /// </summary>
    /// <param name="tokens">[B, Lq, c]: the queries, and the first Lq keys and values</param>
    /// <param name="extra">projected keys and values [B, Le, c] of the extra tokens</param>
    public Tensor Forward(Tensor tokens, ProjectedKeysValues extra)
    {
        using var q = _toQ.Forward(tokens);
        using var kSelf = _toK.Forward(tokens);
        using var vSelf = _toV.Forward(tokens);
        using var k = Ops.Cat([kSelf, extra.Keys], 1);
        using var v = Ops.Cat([vSelf, extra.Values], 1);
        using var o = Ops.ScaledDotProductAttention(q, k, v, Heads);
        return _toOut.Forward(o);
    }

    /// <summary>Keys and values [B, L, c] of <paramref name="context"/> tokens, for <see cref="Forward(Tensor, ProjectedKeysValues)"/>.</summary>
    public ProjectedKeysValues ProjectKeysValues(Tensor context) => new(_toK.Forward(context), _toV.Forward(context));
}

/// <summary>Projected keys and values of a token sequence (owns both).</summary>
public sealed class ProjectedKeysValues(Tensor keys, Tensor values) : IDisposable
{
    public Tensor Keys { get; } = keys;
    public Tensor Values { get; } = values;

    public void Dispose()
    {
        Keys.Dispose();
        Values.Dispose();
    }
}
