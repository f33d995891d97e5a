using Wuerstchen.Models.Weights;
using Wuerstchen.Tensors;

namespace Wuerstchen.Models.Nn;

/// <summary>
/// One pre-LayerNorm transformer layer of HF <c>CLIPEncoderLayer</c>, keys <c>layer_norm1</c>,
/// <c>self_attn.{q,k,v,out}_proj</c>, <c>layer_norm2</c>, <c>mlp.fc1</c>, <c>mlp.fc2</c>:
/// <code>h = h + out_proj(MHA(LN1(h), mask)) ;  h = h + fc2(act(fc1(LN2(h))))</code>
/// </summary>
public sealed class ClipEncoderLayer : Module
{
    private readonly LayerNorm _layerNorm1, _layerNorm2;
    private readonly Linear _q, _k, _v, _out, _fc1, _fc2;
    private readonly int _heads;
    private readonly string _activation;

    public ClipEncoderLayer(WeightSource ws, int hidden, int intermediate, int heads, string activation, float eps)
    {
        _heads = heads;
        _activation = activation;
        _layerNorm1 = Own(new LayerNorm(ws.Scope("layer_norm1"), hidden, eps));
        _q = Own(new Linear(ws.Scope("self_attn.q_proj"), hidden, hidden));
        _k = Own(new Linear(ws.Scope("self_attn.k_proj"), hidden, hidden));
        _v = Own(new Linear(ws.Scope("self_attn.v_proj"), hidden, hidden));
        _out = Own(new Linear(ws.Scope("self_attn.out_proj"), hidden, hidden));
        _layerNorm2 = Own(new LayerNorm(ws.Scope("layer_norm2"), hidden, eps));
        _fc1 = Own(new Linear(ws.Scope("mlp.fc1"), hidden, intermediate));
        _fc2 = Own(new Linear(ws.Scope("mlp.fc2"), intermediate, hidden));
    }

    /// <param name="h">[B, L, hidden]</param>
    /// <param name="paddingMask">additive key mask [B, 1, 1, L] (0 keep, very negative drop), or null; the causal mask is always applied</param>
    public Tensor Forward(Tensor h, Tensor? paddingMask)
    {
        Tensor afterAttention;
        {
            using var normed = _layerNorm1.Forward(h);
            using var q = _q.Forward(normed);
            using var k = _k.Forward(normed);
            using var v = _v.Forward(normed);
            using var o = Ops.ScaledDotProductAttention(q, k, v, _heads, mask: paddingMask, causal: true);
            using var projected = _out.Forward(o);
            afterAttention = Ops.Add(h, projected);
        }
        using (afterAttention)
        {
            using var normed = _layerNorm2.Forward(afterAttention);
            using var expanded = _fc1.Forward(normed);
            using var activated = Activate(expanded);
            using var projected = _fc2.Forward(activated);
            return Ops.Add(afterAttention, projected);
        }
    }

    private Tensor Activate(Tensor x)
    {
        if (_activation == "gelu") return Ops.Gelu(x);
        // OpenAI CLIP's quick_gelu: x·σ(1.702·x).
        using var scaled = Ops.Mul(x, 1.702f);
        using var gate = Ops.Sigmoid(scaled);
        return Ops.Mul(x, gate);
    }
}
