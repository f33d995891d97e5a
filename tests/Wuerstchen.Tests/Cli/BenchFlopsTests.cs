using Wuerstchen.Cli.Commands;
using Wuerstchen.Models.Configs;

namespace Wuerstchen.Tests.Cli;

/// <summary>
/// The analytic FLOP counts against hand counts for toy configs small enough to add up on paper: every term is
/// written out with the layer it comes from (2 FLOPs per multiply-add). Plus two sanity properties at real scale.
/// </summary>
public class BenchFlopsTests
{
    [Fact]
    public void Prior_matches_a_hand_count()
    {
        // c_in 2, c 4, c_cond 3, c_r 4, depth 1, 2 heads; batch 1, latent 2×2 (T = 4 pixels), 3 text tokens (S = 7 keys).
        var config = new WuerstchenPriorConfig(CIn: 2, C: 4, CCond: 3, CR: 4, Depth: 1, NHead: 2);
        long expected =
            2 * 4 * 2 * 4              // projection 1×1 conv 2 → 4 on 4 pixels
            + 2 * 3 * 3 * 4            // cond_mapper.0: 3 tokens, 3 → 4
            + 2 * 3 * 4 * 4            // cond_mapper.2: 3 tokens, 4 → 4
            + 2 * 4 * 9 * 4            // ResBlock depthwise 3×3, 4 channels
            + 2 * 4 * 4 * 16           // ResBlock Linear 4 → 16
            + 2 * 4 * 16 * 4           // ResBlock Linear 16 → 4
            + 2 * 1 * 4 * 8            // TimestepBlock mapper 4 → 8, once per sample
            + 2 * 3 * 4 * 4            // AttnBlock kv_mapper (c_cond = c after cond_mapper)
            + 2 * 4 * 4 * 4 * 2        // to_q and to_out on 4 pixel tokens
            + 2 * 7 * 4 * 4 * 2        // to_k and to_v on 7 keys
            + 2 * 4 * 7 * 4 * 2        // QKᵀ and PV: 4 queries × 7 keys × 4 channels
            + 2 * 4 * 4 * 4;           // out 1×1 conv 4 → 2·c_in
        Assert.Equal(2984, expected);
        Assert.Equal(expected, BenchFlops.Prior(config, batch: 1, height: 2, width: 2, textLength: 3));
    }

    [Fact]
    public void PriorCondition_is_the_text_only_share_of_the_hand_count()
    {
        var config = new WuerstchenPriorConfig(CIn: 2, C: 4, CCond: 3, CR: 4, Depth: 1, NHead: 2);
        long expected =
            2 * 3 * 3 * 4              // cond_mapper.0
            + 2 * 3 * 4 * 4            // cond_mapper.2
            + 2 * 3 * 4 * 4            // AttnBlock kv_mapper
            + 2 * 3 * 4 * 4 * 2;       // to_k and to_v on the 3 text keys
        Assert.Equal(expected, BenchFlops.PriorCondition(config, batch: 1, textLength: 3));
    }

    [Fact]
    public void DecoderCondition_is_the_text_only_share_of_the_hand_count()
    {
        // The config of Decoder_matches_a_hand_count: one AttnBlock (c 4) on each side of level 1, 1 text token.
        var config = new WuerstchenDiffNeXtConfig(CIn: 1, COut: 1, CR: 4, PatchSize: 1, CCond: 2,
            CHidden: [2, 4], NHead: [-1, 2], Blocks: [1, 1], LevelConfig: ["C", "CA"], InjectEffnet: [false, true],
            EffnetEmbd: 1, ClipEmbd: 3, KernelSize: 1, Dropout: [0f, 0f]);
        long expected =
            2 * 1 * 3 * 2              // clip_mapper 3 → 2
            + 2 * (2 * 1 * 2 * 4       // per AttnBlock: kv_mapper 2 → 4
                + 2 * 1 * 4 * 4 * 2);  //   to_k and to_v on the text key
        Assert.Equal(expected, BenchFlops.DecoderCondition(config, batch: 1, textLength: 1));
    }

    [Fact]
    public void Decoder_matches_a_hand_count()
    {
        // Two levels: c_hidden [2, 4], blocks [1, 1], level_config ["C", "CA"], effnet injected at level 1 only,
        // patch 1, kernel 1; batch 1, latent 2×2 (level 0: 4 pixels, level 1: 1 pixel), 1 text token.
        var config = new WuerstchenDiffNeXtConfig(CIn: 1, COut: 1, CR: 4, PatchSize: 1, CCond: 2,
            CHidden: [2, 4], NHead: [-1, 2], Blocks: [1, 1], LevelConfig: ["C", "CA"], InjectEffnet: [false, true],
            EffnetEmbd: 1, ClipEmbd: 3, KernelSize: 1, Dropout: [0f, 0f]);
        long resBlockLevel0 = 2 * 4 * 1 * 2 + 2 * 4 * 2 * 8 + 2 * 4 * 8 * 2;            // depthwise 1×1, 2 → 8, 8 → 2
        long resBlockLevel1 = 2 * 1 * 1 * 4 + 2 * 1 * (4 + 2) * 16 + 2 * 1 * 16 * 4;     // skip = effnet map (c_cond 2)
        long attnLevel1 = 2 * 1 * 2 * 4                                                    // kv_mapper c_cond 2 → 4
            + 2 * 1 * 4 * 4 * 2                                                            // to_q, to_out on 1 pixel
            + 2 * 2 * 4 * 4 * 2                                                            // to_k, to_v on 1 + 1 keys
            + 2 * 1 * 2 * 4 * 2;                                                           // QKᵀ and PV
        long upResBlockLevel0 = 2 * 4 * 1 * 2 + 2 * 4 * (2 + 2) * 8 + 2 * 4 * 8 * 2;      // skip = level-0 down output
        long expected =
            2 * 1 * 3 * 2              // clip_mapper 3 → 2 on 1 token
            + 2 * 4 * 1 * 2            // embedding 1×1 conv 1 → 2 on 4 pixels
            + resBlockLevel0           // down level 0
            + 2 * 1 * 4 * 2 * 4        // downsampler 2×2 stride 2: 1 output pixel, 4 taps × 2 → 4
            + 2 * 1 * 1 * 2            // effnet mapper 1 → 2 (down level 1)
            + resBlockLevel1 + attnLevel1
            + 2 * 1 * 1 * 2            // effnet mapper (up level 1)
            + resBlockLevel1 + attnLevel1
            + 2 * 1 * 4 * 4 * 2        // upsampler 2×2 stride 2 from 1 pixel: 4 → 4 taps × 2
            + upResBlockLevel0
            + 2 * 4 * 2 * 2;           // clf 1×1 conv 2 → 2·c_out
        Assert.Equal(2004, expected);
        Assert.Equal(expected, BenchFlops.Decoder(config, batch: 1, height: 2, width: 2, textLength: 1));
        // Folded (inference form): no mapper, and the two effnet-fed ResBlocks take effnet_embd = 1 input instead of c_cond = 2.
        long folded = expected - 2 * (2 * 1 * 1 * 2) - 2 * (2 * 1 * (2 - 1) * 16);
        Assert.Equal(folded, BenchFlops.Decoder(config, batch: 1, height: 2, width: 2, textLength: 1, foldedEffnet: true));
    }

    // Stage A with two levels [2, 4] (embed_dim 4), one bottleneck block, 1 latent channel.
    private static readonly PaellaVQConfig TinyVq = new(InChannels: 3, OutChannels: 3, UpDownScaleFactor: 2, Levels: 2,
        BottleneckBlocks: 1, EmbedDim: 4, LatentChannels: 1, NumVqEmbeddings: 8, ScaleFactor: 1f);

    [Fact]
    public void VqDecode_matches_a_hand_count()
    {
        // Latent 1×1 → level 1 (1 pixel, 4 channels) → level 0 (2×2, 2 channels) → PixelShuffle → 4×4 image.
        long expected =
            2 * 1 * 1 * 4                       // up_blocks.0: 1×1 conv 1 → 4
            + 2 * 1 * 9 * 4 + 2 * 1 * 4 * 16 * 2 // MixingBlock(4): depthwise 3×3, Linear 4 → 16 → 4
            + 2 * 1 * 16 * 4 * 2                // ConvTranspose 4×4 stride 2: 16 taps of the input pixel, 4 → 2
            + 2 * 4 * 9 * 2 + 2 * 4 * 2 * 8 * 2 // MixingBlock(2) on 4 pixels
            + 2 * 4 * 2 * 12;                   // out_block 1×1 conv 2 → 3·2²
        Assert.Equal(1184, expected);
        Assert.Equal(expected, BenchFlops.VqDecode(TinyVq, batch: 1, latentHeight: 1, latentWidth: 1));
    }

    [Fact]
    public void VqEncode_matches_a_hand_count()
    {
        // Image 4×4 → PixelUnshuffle 2 → level 0 (2×2, 2 channels) → conv 4×4 stride 2 → level 1 (1 pixel, 4 channels).
        long expected =
            2 * 4 * 12 * 2                      // in_block 1×1 conv 3·2² → 2
            + 2 * 4 * 9 * 2 + 2 * 4 * 2 * 8 * 2 // MixingBlock(2) on 4 pixels
            + 2 * 1 * 16 * 2 * 4                // conv 4×4 stride 2: 1 output pixel, 16 taps × 2 → 4
            + 2 * 1 * 9 * 4 + 2 * 1 * 4 * 16 * 2 // MixingBlock(4)
            + 2 * 1 * 4 * 1;                    // latent 1×1 conv 4 → 1
        Assert.Equal(1184, expected);
        Assert.Equal(expected, BenchFlops.VqEncode(TinyVq, batch: 1, height: 4, width: 4));
    }

    [Fact]
    public void ClipText_matches_a_hand_count()
    {
        // One layer, hidden 4, intermediate 8; batch 1 × 3 tokens.
        var config = new ClipTextConfig(VocabSize: 10, HiddenSize: 4, IntermediateSize: 8, NumAttentionHeads: 2, NumHiddenLayers: 1,
            MaxPositionEmbeddings: 3, HiddenAct: "gelu", LayerNormEps: 1e-5f);
        long expected =
            2 * 3 * 4 * 4 * 4          // q, k, v, out projections
            + 2 * 3 * 3 * 4 * 2        // scores and weighted sum: 3 queries × 3 keys × 4 channels
            + 2 * 3 * 4 * 8 * 2;       // fc1 4 → 8, fc2 8 → 4
        Assert.Equal(912, expected);
        Assert.Equal(expected, BenchFlops.ClipText(config, batch: 1, length: 3));
    }

    [Fact]
    public void Counts_scale_with_batch_and_match_the_released_parameter_counts_roughly()
    {
        var prior = WuerstchenPriorConfig.WarpAi;
        Assert.Equal(2 * BenchFlops.Prior(prior, 1, 24, 24), BenchFlops.Prior(prior, 2, 24, 24));
        // A text model's GEMM FLOPs are ≈ 2 × (non-embedding parameters) × tokens, plus attention: CLIP-H has
        // 24 layers × 12.6 M weights = 302 M, so one 77-token prompt is ≈ 46.5 GFLOP + 0.6 GFLOP of attention.
        long clipH = BenchFlops.ClipText(ClipTextConfig.WarpAiDecoder, 1);
        Assert.InRange(clipH, 46.5e9, 47.5e9);
    }
}
