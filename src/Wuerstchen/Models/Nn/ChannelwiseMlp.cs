using Wuerstchen.Models.Weights;
using Wuerstchen.Tensors;

namespace Wuerstchen.Models.Nn;

/// <summary>
/// The ConvNeXt-V2 channel MLP of Würstchen's ResBlocks on channels-last data, keys
/// <c>channelwise.{0,2,4}</c>: Linear(in → 4c) · GELU · GlobalResponseNorm(4c) · Dropout · Linear(4c → c).
/// Built with an <see cref="InputMap"/>, the first Linear's trailing inputs are that map of a narrower input,
/// folded into its weight (<see cref="FoldedLinear"/>, inference only).
/// </summary>
public sealed class ChannelwiseMlp : Module
{
    private readonly Linear? _expand;
    private readonly FoldedLinear? _foldedExpand; // instead of _expand, when built with an input map
    private readonly GlobalResponseNorm _grn;
    private readonly Linear _project;

    /// <param name="ws">scope of the <c>channelwise</c> Sequential</param>
    /// <param name="inFeatures">inputs of the first Linear as stored (with a map: direct + mapped)</param>
    /// <param name="map">the fixed map that produces the last <c>map.MappedFeatures</c> inputs, to fold; null for a plain MLP</param>
    public ChannelwiseMlp(WeightSource ws, int inFeatures, int c, InputMap? map = null)
    {
        if (map is null) _expand = Own(new Linear(ws.Scope("0"), inFeatures, 4 * c));
        else _foldedExpand = Own(new FoldedLinear(ws.Scope("0"), inFeatures - map.MappedFeatures, map, 4 * c));
        _grn = Own(new GlobalResponseNorm(ws.Scope("2"), 4 * c));
        _project = Own(new Linear(ws.Scope("4"), 4 * c, c));
    }

    /// <summary>x [B, H, W, in] → [B, H, W, c]. Dropout is the identity at inference.</summary>
    public Tensor Forward(Tensor x)
    {
        if (_expand is null)
            throw new InvalidOperationException("ChannelwiseMlp: built with a folded input map; call Forward(x, mapInput).");
        return Activate(_expand.Forward(x));
    }

    /// <summary>
    /// The MLP of an input whose trailing part is the folded map of <paramref name="mapInput"/>:
    /// x [B, H, W, direct], mapInput [B, H, W, narrow] → [B, H, W, c]. Inference only.
    /// </summary>
    public Tensor Forward(Tensor x, Tensor mapInput)
    {
        if (_foldedExpand is null)
            throw new InvalidOperationException("ChannelwiseMlp: built without an input map; call Forward(x).");
        return Activate(_foldedExpand.Forward(x, mapInput));
    }

    /// <summary>GELU · GRN · Linear on the first Linear's output, which it frees.</summary>
    private Tensor Activate(Tensor expandedOutput)
    {
        using var expanded = expandedOutput;
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
