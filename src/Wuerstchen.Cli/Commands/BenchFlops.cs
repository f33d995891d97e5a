using Wuerstchen.Models.Configs;

namespace Wuerstchen.Cli.Commands;

/// <summary>
/// Floating-point operations of one forward, counted analytically from the config: 2 per multiply-add of every
/// matrix product — linear layers, 1×1 / k×k / transposed / depthwise convolutions, and attention's QKᵀ and PV.
/// Norms, activations, softmax, resizes and other elementwise work are left out (a few per cent at most; they are
/// memory-bound and would only blur GFLOP/s as a measure of arithmetic throughput). Symbols: B batch, T = B·h·w
/// pixels (tokens) at a resolution, L text length (77), S = h·w + L attention keys, c channels.
/// </summary>
public static class BenchFlops
{
    /// <summary>Text length of both CLIP encoders.</summary>
    public const int TextLength = 77;

    /// <summary>
    /// Stage C on x [B, c_in, h, w], c [B, L, c_cond]:
    /// <c>2·T·c_in·c + 2·B·L·(c_cond·c + c²) + depth·(ResBlock + TimestepBlock + AttnBlock) + 2·T·c·2c_in</c> with
    /// ResBlock = <c>2·T·9c + 16·T·c²</c> (depthwise 3×3, Linear c→4c→c), TimestepBlock = <c>2·B·c_r·2c</c>,
    /// AttnBlock = <see cref="AttnBlock"/>(c_cond = c).
    /// </summary>
    public static long Prior(WuerstchenPriorConfig config, int batch, int height, int width, int textLength = TextLength)
    {
        long b = batch, t = b * height * width, c = config.C;
        long flops = 2 * t * config.CIn * c + 2 * b * textLength * (config.CCond * c + c * c);
        long perDepth = ResBlock(t, c, 0, 3) + TimestepBlock(b, c, config.CR) + AttnBlock(b, height * width, textLength, c, c);
        return flops + config.Depth * perDepth + 2 * t * c * 2 * config.CIn;
    }

    /// <summary>
    /// The share of <see cref="Prior"/> that depends on the text alone (<c>WuerstchenPrior.PrepareCondition</c>):
    /// cond_mapper <c>2·B·L·(c_cond·c + c²)</c> and, per AttnBlock, kv_mapper <c>2·B·L·c²</c> and the text tokens'
    /// K and V projections <c>2·2·B·L·c²</c>.
    /// </summary>
    public static long PriorCondition(WuerstchenPriorConfig config, int batch, int textLength = TextLength)
    {
        long b = batch, c = config.C, l = textLength;
        return 2 * b * l * (config.CCond * c + c * c) + config.Depth * (2 * b * l * c * c + 4 * b * l * c * c);
    }

    /// <summary>
    /// Stage B on x [B, c_in, H, W] (H, W multiples of patch·2^(levels−1)): clip_mapper <c>2·B·L·clip_embd·c_cond</c>,
    /// embedding <c>2·T₀·c_in·p²·c₀</c>, per down level i: downsampler (i &gt; 0, 2×2 stride 2) <c>2·Tᵢ·4c_{i−1}·cᵢ</c>,
    /// effnet mapper <c>2·Tᵢ·effnet_embd·c_cond</c> when injected, then <c>blocks[i]</c> × the level_config letters;
    /// the up path mirrors it with the skip widths of SPEC §2.9 and upsamplers <c>2·Tᵢ·cᵢ·4c_{i−1}</c>; clf
    /// <c>2·T₀·c₀·2c_out·p²</c>. Letters: C = <see cref="ResBlock"/>(k = kernel_size, skip), T = <c>2·B·c_r·2c</c>,
    /// A = <see cref="AttnBlock"/>. Tᵢ = B·(H/p/2ⁱ)·(W/p/2ⁱ). With <paramref name="foldedEffnet"/> (the inference
    /// form, <c>WuerstchenDiffNeXt(foldEffnetMappers: true)</c>) there is no mapper and every effnet-fed ResBlock's
    /// skip is effnet_embd wide instead of c_cond: the work that form does.
    /// </summary>
    public static long Decoder(WuerstchenDiffNeXtConfig config, int batch, int height, int width, int textLength = TextLength,
        bool foldedEffnet = false)
    {
        int n = config.Levels, p = config.PatchSize;
        var c = config.CHidden;
        long b = batch;
        long Pixels(int level) => (long)(height / p >> level) * (width / p >> level);
        long flops = 2 * b * textLength * config.ClipEmbd * config.CCond + 2 * b * Pixels(0) * config.CIn * p * p * c[0];

        long Level(int i, bool up)
        {
            long hw = Pixels(i), t = b * hw, sum = 0;
            if (config.InjectEffnet[i] && !foldedEffnet) sum += 2 * t * config.EffnetEmbd * config.CCond;
            int effnetSkip = !config.InjectEffnet[i] ? 0 : foldedEffnet ? config.EffnetEmbd : config.CCond;
            for (int repeat = 0; repeat < config.Blocks[i]; repeat++)
                for (int k = 0; k < config.LevelConfig[i].Length; k++)
                {
                    int skip = effnetSkip + (up && i < n - 1 && repeat == 0 && k == 0 ? c[i] : 0);
                    sum += config.LevelConfig[i][k] switch
                    {
                        'C' => ResBlock(t, c[i], skip, config.KernelSize),
                        'T' => TimestepBlock(b, c[i], config.CR),
                        _ => AttnBlock(b, hw, textLength, c[i], config.CCond),
                    };
                }
            return sum;
        }

        for (int i = 0; i < n; i++)
            flops += (i > 0 ? 2 * b * Pixels(i) * 4 * c[i - 1] * c[i] : 0) + Level(i, up: false);
        for (int i = n - 1; i >= 0; i--)
            flops += Level(i, up: true) + (i > 0 ? 2 * b * Pixels(i) * c[i] * 4 * c[i - 1] : 0);
        return flops + 2 * b * Pixels(0) * c[0] * 2 * config.COut * p * p;
    }

    /// <summary>
    /// The share of <see cref="Decoder"/> that depends on the text alone (<c>WuerstchenDiffNeXt.PrepareCondition</c>):
    /// clip_mapper <c>2·B·L·clip_embd·c_cond</c> and, per AttnBlock at level i (down and up), kv_mapper
    /// <c>2·B·L·c_cond·cᵢ</c> and the text tokens' K and V projections <c>2·2·B·L·cᵢ²</c>.
    /// </summary>
    public static long DecoderCondition(WuerstchenDiffNeXtConfig config, int batch, int textLength = TextLength)
    {
        long b = batch, l = textLength;
        long flops = 2 * b * l * config.ClipEmbd * config.CCond;
        for (int i = 0; i < config.Levels; i++)
        {
            long c = config.CHidden[i], blocks = 2L * config.Blocks[i] * config.LevelConfig[i].Count(letter => letter == 'A');
            flops += blocks * (2 * b * l * config.CCond * c + 4 * b * l * c * c);
        }
        return flops;
    }

    /// <summary>
    /// Stage A decoder on latents [B, latent, h, w]: <c>2·T·latent·c_last</c>, bottleneck_blocks × <see cref="MixingBlock"/>(c_last),
    /// per level up a 4×4 stride-2 transposed conv <c>2·T_in·16·cᵢ·cᵢ₋₁</c> and one MixingBlock, then the 1×1 output conv
    /// <c>2·T₀·c₀·out·f²</c> (before PixelShuffle f).
    /// </summary>
    public static long VqDecode(PaellaVQConfig config, int batch, int latentHeight, int latentWidth)
    {
        var c = config.CLevels;
        int n = config.Levels, f = config.UpDownScaleFactor;
        long Pixels(int level) => (long)batch * (latentHeight << (n - 1 - level)) * (latentWidth << (n - 1 - level));
        long flops = 2 * Pixels(n - 1) * config.LatentChannels * c[n - 1] + config.BottleneckBlocks * MixingBlock(Pixels(n - 1), c[n - 1]);
        for (int i = n - 1; i > 0; i--)
            flops += 2 * Pixels(i) * 16 * c[i] * c[i - 1] + MixingBlock(Pixels(i - 1), c[i - 1]);
        return flops + 2 * Pixels(0) * c[0] * config.OutChannels * f * f;
    }

    /// <summary>
    /// Stage A encoder on images [B, in, H, W]: after PixelUnshuffle f, <c>2·T₀·in·f²·c₀</c>, per level a 4×4 stride-2
    /// conv (i &gt; 0) <c>2·Tᵢ·16·cᵢ₋₁·cᵢ</c> and one <see cref="MixingBlock"/>(cᵢ), then the 1×1 latent conv <c>2·T_last·c_last·latent</c>.
    /// </summary>
    public static long VqEncode(PaellaVQConfig config, int batch, int height, int width)
    {
        var c = config.CLevels;
        int n = config.Levels, f = config.UpDownScaleFactor;
        long Pixels(int level) => (long)batch * (height / f >> level) * (width / f >> level);
        long flops = 2 * Pixels(0) * config.InChannels * f * f * c[0];
        for (int i = 0; i < n; i++)
            flops += (i > 0 ? 2 * Pixels(i) * 16 * c[i - 1] * c[i] : 0) + MixingBlock(Pixels(i), c[i]);
        return flops + 2 * Pixels(n - 1) * c[n - 1] * config.LatentChannels;
    }

    /// <summary>
    /// CLIP text model on [B, L] ids, T = B·L: per layer <c>8·T·d² + 4·T·L·d + 4·T·d·I</c> (q, k, v, out projections;
    /// scores and weighted sum over all L keys — the causal mask is applied, not skipped; MLP d→I→d).
    /// </summary>
    public static long ClipText(ClipTextConfig config, int batch, int length = TextLength)
    {
        long t = (long)batch * length, d = config.HiddenSize;
        return config.NumHiddenLayers * (8 * t * d * d + 4 * t * length * d + 4 * t * d * config.IntermediateSize);
    }

    /// <summary>ResBlock / ResBlockStageB: depthwise k×k <c>2·T·k²·c</c>, Linear (c+skip)→4c <c>8·T·(c+skip)·c</c>, Linear 4c→c <c>8·T·c²</c>.</summary>
    public static long ResBlock(long tokens, long c, long skip, int kernelSize) =>
        2 * tokens * kernelSize * kernelSize * c + 8 * tokens * (c + skip) * c + 8 * tokens * c * c;

    /// <summary>TimestepBlock: Linear c_r → 2c once per sample.</summary>
    public static long TimestepBlock(long batch, long c, int cR) => 2 * batch * cR * 2 * c;

    /// <summary>
    /// AttnBlock over hw pixel tokens and L text tokens: kv_mapper <c>2·B·L·c_cond·c</c>, Q and output projections
    /// <c>2·2·B·hw·c²</c>, K and V over the S = hw + L keys <c>2·2·B·S·c²</c>, QKᵀ and PV <c>2·2·B·hw·S·c</c>.
    /// </summary>
    public static long AttnBlock(long batch, long pixels, long textLength, long c, long cCond)
    {
        long keys = pixels + textLength;
        return 2 * batch * textLength * cCond * c + 4 * batch * pixels * c * c + 4 * batch * keys * c * c + 4 * batch * pixels * keys * c;
    }

    /// <summary>Stage A MixingResidualBlock: depthwise 3×3 <c>2·T·9c</c> and Linear c→4c→c <c>16·T·c²</c>.</summary>
    public static long MixingBlock(long tokens, long c) => 2 * tokens * 9 * c + 16 * tokens * c * c;
}
