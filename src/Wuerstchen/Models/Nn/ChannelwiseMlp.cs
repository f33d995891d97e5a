using Wuerstchen.Models.Weights;
using Wuerstchen.Tensors;

namespace Wuerstchen.Models.Nn;

/// <summary>
/// The ConvNeXt-V2 channel MLP of Würstchen's ResBlocks on channels-last data, keys
/// <c>channelwise.{0,2,4}</c>: Linear(in → 4c) · GELU · GlobalResponseNorm(4c) · Dropout · Linear(4c → c).
/// </summary>
public sealed class ChannelwiseMlp : Module
{
    private readonly Linear _expand;
    private readonly GlobalResponseNorm _grn;
    private readonly Linear _project;

    /// <param name="ws">scope of the <c>channelwise</c> Sequential</param>
    public ChannelwiseMlp(WeightSource ws, int inFeatures, int c)
    {
        _expand = Own(new Linear(ws.Scope("0"), inFeatures, 4 * c));
        _grn = Own(new GlobalResponseNorm(ws.Scope("2"), 4 * c));
        _project = Own(new Linear(ws.Scope("4"), 4 * c, c));
    }

    /// <summary>x [B, H, W, in] → [B, H, W, c]. Dropout is the identity at inference.</summary>
    public Tensor Forward(Tensor x)
    {
        using var expanded = _expand.Forward(x);
        if (Autograd.Tape.ShouldRecord(expanded, _grn.Gamma, _grn.Beta))
        {
            using var activated = Ops.Gelu(expanded);
            using var normed = _grn.Forward(activated);
            return _project.Forward(normed);
        }
        // Inference activates and normalises in place: at Stage B's first level (1024²) each 4×-wide activation is 84 MB.
        Ops.GeluInPlace(expanded);
        _grn.ForwardInPlace(expanded);
        return _project.Forward(expanded);
    }
}
