using Wuerstchen.Models.Configs;
using Wuerstchen.Models.Nn;
using Wuerstchen.Models.Weights;
using Wuerstchen.Tensors;

namespace Wuerstchen.Models;

/// <summary>
/// Stage C, diffusers <c>WuerstchenPrior</c> (SPEC §2.8): a text-conditional ε-predictor in the 16-channel
/// semantic latent space, a flat stack of <c>depth</c> × (ResBlock, TimestepBlock, AttnBlock) at one resolution.
/// Inputs and output are NCHW like diffusers; the blocks run on channels-last activations.
/// <code>
/// x_in = x ; x = projection(x)
/// c_embed = cond_mapper(c) ; r_embed = gen_r_embedding(r)
/// for block in blocks: x = block(x, r_embed or c_embed)
/// a, b = out(x).chunk(2)
/// return (x_in − a) / (|1 − b| + 1e-5)
/// </code>
/// </summary>
public sealed class WuerstchenPrior : Module
{
    private readonly PointwiseConv _projection;
    private readonly Linear _condMapperIn, _condMapperOut;
    private readonly Module[] _blocks;
    private readonly PointwiseConv _out;

    public WuerstchenPriorConfig Config { get; }

    public WuerstchenPrior(WuerstchenPriorConfig config, WeightSource ws)
    {
        config.Validate();
        Config = config;
        int c = config.C;
        _projection = Own(new PointwiseConv(ws.Scope("projection"), config.CIn, c));
        _condMapperIn = Own(new Linear(ws.Scope("cond_mapper.0"), config.CCond, c));
        _condMapperOut = Own(new Linear(ws.Scope("cond_mapper.2"), c, c));
        _blocks = new Module[3 * config.Depth];
        for (int i = 0; i < config.Depth; i++)
        {
            _blocks[3 * i] = Own(new ResBlock(ws.Scope($"blocks.{3 * i}"), c));
            _blocks[3 * i + 1] = Own(new TimestepBlock(ws.Scope($"blocks.{3 * i + 1}"), c, config.CR));
            // Conditioning is mapped to c once (cond_mapper), so each AttnBlock's c_cond is c.
            _blocks[3 * i + 2] = Own(new AttnBlock(ws.Scope($"blocks.{3 * i + 2}"), c, c, config.NHead));
        }
        _out = Own(new PointwiseConv(ws.Scope("out.1"), c, 2 * config.CIn));
    }

    /// <summary>Loads <c>config.json</c> and the safetensors weights (optionally a variant such as "fp16") of a <c>prior</c> folder.</summary>
    public static WuerstchenPrior FromPretrained(string folder, string? variant = null, bool writable = false)
    {
        var config = WuerstchenPriorConfig.Load(folder);
        return Pretrained.Load(folder, variant, WuerstchenPriorConfig.ClassName, ws => new WuerstchenPrior(config, ws), writable);
    }

    /// <summary>Predicted noise ε̂ [B, c_in, h, w].</summary>
    /// <param name="x">noisy latent [B, c_in, h, w]</param>
    /// <param name="r">continuous time t ∈ [0, 1] per sample, [B]</param>
    /// <param name="c">text conditioning (CLIP last_hidden_state) [B, L, c_cond]</param>
    public Tensor Forward(Tensor x, Tensor r, Tensor c, ActivationTrace? trace = null)
    {
        CheckInputs(x, r);
        CheckCondition(c, x.Size(0));
        using var cEmbed = MapCondition(c);
        return Run(x, r, cEmbed, (attn, _, h) => attn.Forward(h, cEmbed), trace);
    }

    /// <summary>
    /// What every sampling step would compute again from the same text conditioning <paramref name="c"/>: the
    /// mapped condition and, per attention block, its keys and values. <see cref="Forward(Tensor, Tensor,
    /// PriorCondition, ActivationTrace?)"/> then gives the same ε̂ as <see cref="Forward(Tensor, Tensor, Tensor,
    /// ActivationTrace?)"/> for about 3 % less work per step (at the released size).
    /// </summary>
    public PriorCondition PrepareCondition(Tensor c)
    {
        CheckCondition(c, batch: null);
        var cEmbed = MapCondition(c);
        var blocks = new ProjectedKeysValues[Config.Depth];
        try
        {
            for (int i = 0; i < Config.Depth; i++) blocks[i] = ((AttnBlock)_blocks[3 * i + 2]).PrepareCondition(cEmbed);
            return new PriorCondition(cEmbed, blocks);
        }
        catch
        {
            foreach (var b in blocks) b?.Dispose();
            cEmbed.Dispose();
            throw;
        }
    }

    /// <summary><see cref="Forward(Tensor, Tensor, Tensor, ActivationTrace?)"/> with the condition prepared by <see cref="PrepareCondition"/>.</summary>
    public Tensor Forward(Tensor x, Tensor r, PriorCondition condition, ActivationTrace? trace = null)
    {
        CheckInputs(x, r);
        if (condition.Batch != x.Size(0))
            throw new ArgumentException($"WuerstchenPrior: the prepared condition has batch {condition.Batch}, x has {x.Size(0)}.", nameof(condition));
        return Run(x, r, condition.Embedding, (attn, k, h) => attn.Forward(h, condition.Blocks[k / 3]), trace);
    }

    private Tensor Run(Tensor x, Tensor r, Tensor cEmbed, Func<AttnBlock, int, Tensor, Tensor> attend, ActivationTrace? trace)
    {
        Tensor h;
        using (var xLast = Ops.ToChannelsLast(x))
            h = _projection.Forward(xLast);                                      // [B, h, w, c]
        trace?.Invoke("projection_out", h.Permute(0, 3, 1, 2));
        trace?.Invoke("c_embed", cEmbed);
        using var rEmbed = REmbedding.Generate(r, Config.CR);
        trace?.Invoke("r_embed", rEmbed);

        for (int k = 0; k < _blocks.Length; k++)
        {
            using var previous = h;
            h = _blocks[k] switch
            {
                ResBlock res => res.Forward(previous),
                TimestepBlock time => time.Forward(previous, rEmbed),
                AttnBlock attn => attend(attn, k, previous),
                var other => throw new InvalidOperationException($"Unexpected prior block {other.GetType().Name}."),
            };
            trace?.Invoke($"blocks.{k}.out", h.Permute(0, 3, 1, 2));
        }

        using (h)
        {
            using var normed = WuerstchenNorm.ChannelsLast(h);
            using var oLast = _out.Forward(normed);                              // [B, h, w, 2·c_in]
            using var o = Ops.ToChannelsFirst(oLast);
            var a = o.Narrow(1, 0, Config.CIn);
            var b = o.Narrow(1, Config.CIn, Config.CIn);
            trace?.Invoke("out_a", a);
            trace?.Invoke("out_b", b);
            using var numerator = Ops.Sub(x, a);
            using var oneMinusB = Ops.Sub(1f, b);
            using var magnitude = Ops.Abs(oneMinusB);
            using var denominator = Ops.Add(magnitude, 1e-5f);
            return Ops.Div(numerator, denominator);
        }
    }

    /// <summary>cond_mapper: Linear(c_cond → c) · LeakyReLU(0.2) · Linear(c → c).</summary>
    private Tensor MapCondition(Tensor c)
    {
        using var hidden = _condMapperIn.Forward(c);
        using var activated = Ops.LeakyRelu(hidden, 0.2f);
        return _condMapperOut.Forward(activated);
    }

    private void CheckInputs(Tensor x, Tensor r)
    {
        if (x.Rank != 4 || x.Size(1) != Config.CIn)
            throw new ArgumentException($"WuerstchenPrior: x must be [B, {Config.CIn}, h, w], got {x}.", nameof(x));
        int batch = x.Size(0);
        if (r.Rank != 1 || r.Size(0) != batch)
            throw new ArgumentException($"WuerstchenPrior: r must be [{batch}], got {r}.", nameof(r));
    }

    /// <summary>c must be [B, L, c_cond], with B = <paramref name="batch"/> when given.</summary>
    private void CheckCondition(Tensor c, int? batch)
    {
        if (c.Rank != 3 || (batch is int b && c.Size(0) != b) || c.Size(2) != Config.CCond)
            throw new ArgumentException($"WuerstchenPrior: c must be [{batch?.ToString() ?? "B"}, L, {Config.CCond}], got {c}.", nameof(c));
    }
}
