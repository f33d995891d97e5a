using Wuerstchen.Models.Weights;
using Wuerstchen.Tensors;

namespace Wuerstchen.Models.Nn;

/// <summary>
/// A fixed affine map m(e) = M·e + b_M from a narrow input e to the trailing inputs of a Linear: Stage B's effnet
/// mapper (a 1×1 convolution 16 → c_cond, nothing after it) feeding the first Linear of every ResBlock of a level.
/// </summary>
/// <param name="Weight">M [mapped, narrow]</param>
/// <param name="Bias">b_M [mapped]</param>
public sealed record InputMap(Tensor Weight, Tensor Bias)
{
    public int MappedFeatures => Weight.Size(0);
    public int NarrowFeatures => Weight.Size(1);
}

/// <summary>
/// <c>Linear(direct + mapped → out)</c> whose last <c>mapped</c> inputs are always <see cref="InputMap"/>(e), with the
/// map folded into the weight (inference only):
/// <code>W·[x; M·e + b_M] + b = W_x·x + (W_e·M)·e + (W_e·b_M + b)</code>
/// The folded weight W_e·M is [out, narrow]: at the released Stage B size each token's 1024-deep product with
/// W_e becomes a 16-deep one, about a sixth of the decoder's work. Keys and shapes stay those of the plain Linear
/// (<c>weight [out, direct + mapped]</c>, <c>bias</c>); W_x is a view of the stored weight (or its bf16 copy).
/// </summary>
public sealed class FoldedLinear : Module
{
    private readonly Tensor? _direct;              // W_x [out, direct], a view of the loaded weight
    private readonly Bf16LinearWeight? _directBf16; // instead of _direct, when built under WeightPrecision.Bf16
    private readonly Tensor _folded;               // W_e·M [out, narrow]
    private readonly Tensor _bias;                 // b + W_e·b_M [out]

    public FoldedLinear(WeightSource ws, int directFeatures, InputMap map, int outFeatures)
    {
        var weight = LoadWeight(ws, "weight", outFeatures, directFeatures + map.MappedFeatures);
        var bias = LoadWeight(ws, "bias", outFeatures);
        var mappedPart = weight.Narrow(1, directFeatures, map.MappedFeatures);           // W_e [out, mapped]
        _folded = Own(Ops.MatMul(mappedPart, map.Weight));                                 // [out, narrow]
        using (var mappedBias = Ops.Linear(map.Bias.Reshape(1, map.MappedFeatures), mappedPart)) // [1, out] = (W_e·b_M)ᵀ
            _bias = Own(Ops.Add(bias, mappedBias.Reshape(outFeatures)));
        var direct = weight.Narrow(1, 0, directFeatures);
        if (Bf16Weights.ShouldConvert(ws, weight))
        {
            _directBf16 = Own(Bf16LinearWeight.FromTensor(direct));
            ReleaseWeight(weight);
        }
        else _direct = direct;
    }

    /// <param name="x">[…, direct]</param>
    /// <param name="e">[…, narrow], the map's input for the same rows</param>
    /// <returns>[…, out]</returns>
    public Tensor Forward(Tensor x, Tensor e)
    {
        var y = _directBf16 is null ? Ops.Linear(x, _direct!, _bias) : Ops.Linear(x, _directBf16, _bias);
        try
        {
            Ops.LinearAccumulate(y, e, _folded);
            return y;
        }
        catch
        {
            y.Dispose();
            throw;
        }
    }
}
