using Wuerstchen.Models.Weights;
using Wuerstchen.Tensors;

namespace Wuerstchen.Models.Nn;

/// <summary>
/// <c>TimestepBlock(c, c_timestep)</c> (SPEC §2.5) on channels-last data: <c>a, b = mapper(r_embed).chunk(2)</c>,
/// <c>y = x·(1 + a) + b</c> with a, b broadcast over H and W.
/// </summary>
public sealed class TimestepBlock : Module
{
    private readonly Linear _mapper;
    private readonly int _c;

    public TimestepBlock(WeightSource ws, int c, int cTimestep)
    {
        _c = c;
        _mapper = Own(new Linear(ws.Scope("mapper"), cTimestep, 2 * c));
    }

    /// <param name="x">[B, H, W, c]</param>
    /// <param name="rEmbed">[B, c_timestep]</param>
    public Tensor Forward(Tensor x, Tensor rEmbed)
    {
        using var ab = _mapper.Forward(rEmbed);                        // [B, 2c]
        var a = ab.Narrow(1, 0, _c).Unsqueeze(1).Unsqueeze(1);          // [B, 1, 1, c] views
        var b = ab.Narrow(1, _c, _c).Unsqueeze(1).Unsqueeze(1);
        using var scale = Ops.Add(a, 1f);
        using var scaled = Ops.Mul(x, scale);
        return Ops.Add(scaled, b);
    }
}
