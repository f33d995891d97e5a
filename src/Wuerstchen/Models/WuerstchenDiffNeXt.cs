using Wuerstchen.Models.Configs;
using Wuerstchen.Models.Nn;
using Wuerstchen.Models.Weights;
using Wuerstchen.Tensors;

namespace Wuerstchen.Models;

/// <summary>
/// Stage B, diffusers <c>WuerstchenDiffNeXt</c> (SPEC §2.9): a U-Net ε-predictor on the Stage A latent,
/// conditioned on the semantic (effnet) latent — resized to each level and injected as extra ResBlock inputs —
/// and on CLIP text through the attention blocks. Inputs and output are NCHW like diffusers; everything between
/// the embedding and the output head runs on channels-last activations.
/// <code>
/// r_embed = gen_r_embedding(r) ; clip = seq_norm(clip_mapper(clip))
/// x_in = x ; x = embedding(x)                                  PixelUnshuffle · 1×1 conv · LN2d
/// down: per level [downsample] then blocks; effnet_c = mapper(resize(effnet)) feeds every ResBlock
/// up:   deepest first; the first ResBlock also gets the level's down output as skip; then upsample
/// a, b = clf(x).chunk(2) ; b = sigmoid(b)·(1 − 2ε) + ε
/// return (x_in − a) / b
/// </code>
/// </summary>
public sealed class WuerstchenDiffNeXt : Module
{
    /// <summary>
    /// One resolution on one side of the U-Net. Down levels may start with a downsampler, up levels may end with an
    /// upsampler. A level with effnet injection has a mapper, or (folded) its ResBlocks hold the map themselves.
    /// </summary>
    private sealed class Level(Module[] blocks, PointwiseConv? effnetMapper, bool injectsEffnet, Downsample2x? downsampler, Upsample2x? upsampler)
    {
        public Module[] Blocks { get; } = blocks;
        public PointwiseConv? EffnetMapper { get; } = effnetMapper;
        public bool InjectsEffnet { get; } = injectsEffnet;
        public Downsample2x? Downsampler { get; } = downsampler;
        public Upsample2x? Upsampler { get; } = upsampler;
    }

    /// <summary>Output head: b ∈ (ε, 1 − ε) keeps the division well-conditioned.</summary>
    private const float HeadEps = 1e-3f;

    private readonly Linear _clipMapper;
    private readonly PointwiseConv _embedding;
    private readonly Level[] _down, _up;
    private readonly PointwiseConv _clf;

    public WuerstchenDiffNeXtConfig Config { get; }

    /// <summary>Whether the effnet mappers are folded into the ResBlocks (an inference-only model; see the constructor).</summary>
    public bool FoldsEffnetMappers { get; }

    /// <summary>Spatial size divisor of the latent: patch size times one factor 2 per downsampling level.</summary>
    public int SizeMultiple => Config.PatchSize << (Config.Levels - 1);

    /// <param name="foldEffnetMappers">
    /// Inference only: fold each level's effnet mapper (a 1×1 convolution, 16 → c_cond, nothing after it) into the
    /// first Linear of every ResBlock it feeds (<see cref="FoldedLinear"/>), so those blocks take the resized 16-channel
    /// latent instead of its c_cond-channel map. The same function, about a sixth less work at the released size
    /// (every effnet-fed block's 1024-deep product per token becomes 16-deep); such a model cannot be trained and does
    /// not trace <c>effnet_mapped.*</c>.
    /// </param>
    public WuerstchenDiffNeXt(WuerstchenDiffNeXtConfig config, WeightSource ws, bool foldEffnetMappers = false)
    {
        config.Validate();
        Config = config;
        FoldsEffnetMappers = foldEffnetMappers;
        int n = config.Levels, p = config.PatchSize;
        var c = config.CHidden;

        _clipMapper = Own(new Linear(ws.Scope("clip_mapper"), config.ClipEmbd, config.CCond));
        _embedding = Own(new PointwiseConv(ws.Scope("embedding.1"), config.CIn * p * p, c[0]));

        // effnet_mappers has one slot per down level then one per up level (deepest first): inject_effnet +
        // reversed(inject_effnet). Slots of levels without injection are None in diffusers and have no keys.
        PointwiseConv? EffnetMapper(int slot, int level) => config.InjectEffnet[level] && !foldEffnetMappers
            ? Own(new PointwiseConv(ws.Scope($"effnet_mappers.{slot}"), config.EffnetEmbd, config.CCond))
            : null;
        InputMap? EffnetMap(int slot, int level)
        {
            if (!config.InjectEffnet[level] || !foldEffnetMappers) return null;
            var scope = ws.Scope($"effnet_mappers.{slot}");
            var weight = LoadWeight(scope, "weight", config.CCond, config.EffnetEmbd, 1, 1);
            return new InputMap(weight.Reshape(config.CCond, config.EffnetEmbd), LoadWeight(scope, "bias", config.CCond));
        }

        _down = new Level[n];
        for (int i = 0; i < n; i++)
        {
            var scope = ws.Scope($"down_blocks.{i}");
            int index = 0;
            Downsample2x? downsampler = null;
            if (i > 0) downsampler = Own(new Downsample2x(scope.Scope($"{index++}"), c[i - 1], c[i]));
            int cSkip = config.InjectEffnet[i] ? config.CCond : 0;
            var map = EffnetMap(i, i);
            var blocks = new List<Module>();
            for (int repeat = 0; repeat < config.Blocks[i]; repeat++)
                foreach (char type in config.LevelConfig[i])
                    blocks.Add(Block(type, scope.Scope($"{index++}"), i, cSkip, map));
            _down[i] = new Level([.. blocks], EffnetMapper(i, i), config.InjectEffnet[i], downsampler, null);
        }

        _up = new Level[n];
        for (int u = 0; u < n; u++)
        {
            int i = n - 1 - u;
            var scope = ws.Scope($"up_blocks.{u}");
            int index = 0;
            var map = EffnetMap(n + u, i);
            var blocks = new List<Module>();
            for (int repeat = 0; repeat < config.Blocks[i]; repeat++)
                for (int k = 0; k < config.LevelConfig[i].Length; k++)
                {
                    // The level's first block also takes the matching down output (all but the deepest level).
                    int cSkip = (i < n - 1 && repeat == 0 && k == 0 ? c[i] : 0) + (config.InjectEffnet[i] ? config.CCond : 0);
                    blocks.Add(Block(config.LevelConfig[i][k], scope.Scope($"{index++}"), i, cSkip, map));
                }
            Upsample2x? upsampler = i > 0 ? Own(new Upsample2x(scope.Scope($"{index}"), c[i], c[i - 1])) : null;
            _up[u] = new Level([.. blocks], EffnetMapper(n + u, i), config.InjectEffnet[i], null, upsampler);
        }

        _clf = Own(new PointwiseConv(ws.Scope("clf.1"), c[0], 2 * config.COut * p * p));
    }

    private Module Block(char type, WeightSource ws, int level, int cSkip, InputMap? effnetMap)
    {
        int c = Config.CHidden[level];
        return type switch
        {
            'C' => Own(new ResBlockStageB(ws, c, cSkip, Config.KernelSize, effnetMap)),
            'T' => Own(new TimestepBlock(ws, c, Config.CR)),
            'A' => Own(new AttnBlock(ws, c, Config.CCond, Config.NHead[level])),
            _ => throw new InvalidOperationException($"Unknown block type '{type}'."),
        };
    }

    /// <summary>Loads <c>config.json</c> and the safetensors weights (optionally a variant) of a <c>decoder</c> folder.</summary>
    /// <param name="foldEffnetMappers">see the constructor: inference only, not with <paramref name="writable"/></param>
    public static WuerstchenDiffNeXt FromPretrained(string folder, string? variant = null, bool writable = false, bool foldEffnetMappers = false)
    {
        if (writable && foldEffnetMappers)
            throw new ArgumentException("WuerstchenDiffNeXt: a decoder with folded effnet mappers is for inference; it cannot be loaded writable.", nameof(foldEffnetMappers));
        var config = WuerstchenDiffNeXtConfig.Load(folder);
        return Pretrained.Load(folder, variant, WuerstchenDiffNeXtConfig.ClassName, ws => new WuerstchenDiffNeXt(config, ws, foldEffnetMappers), writable);
    }

    /// <summary>Predicted noise ε̂ [B, c_out, H, W].</summary>
    /// <param name="x">noisy Stage A latent [B, c_in, H, W], H and W multiples of <see cref="SizeMultiple"/></param>
    /// <param name="r">continuous time t ∈ [0, 1] per sample, [B]</param>
    /// <param name="effnet">semantic latent (Stage C output, ·42 − 1) [B, effnet_embd, h, w], any size</param>
    /// <param name="clip">text conditioning (CLIP last_hidden_state) [B, L, clip_embd]</param>
    public Tensor Forward(Tensor x, Tensor r, Tensor effnet, Tensor clip, ActivationTrace? trace = null)
    {
        CheckInputs(x, r, effnet);
        CheckClip(clip, x.Size(0));
        using var clipMapped = MapClip(clip);
        return Run(x, r, effnet, clipMapped, (attn, h) => attn.Forward(h, clipMapped), trace);
    }

    /// <summary>
    /// What every sampling step would compute again from the same text conditioning <paramref name="clip"/>: the
    /// mapped tokens and, per attention block, their keys and values. <see cref="Forward(Tensor, Tensor, Tensor,
    /// DecoderCondition, ActivationTrace?)"/> then gives the same ε̂ as the plain forward.
    /// </summary>
    public DecoderCondition PrepareCondition(Tensor clip)
    {
        CheckClip(clip, batch: null);
        var clipMapped = MapClip(clip);
        var blocks = new Dictionary<AttnBlock, ProjectedKeysValues>(ReferenceEqualityComparer.Instance);
        try
        {
            foreach (var level in _down.Concat(_up))
                foreach (var attn in level.Blocks.OfType<AttnBlock>())
                    blocks.Add(attn, attn.PrepareCondition(clipMapped));
            return new DecoderCondition(clipMapped, blocks);
        }
        catch
        {
            foreach (var kv in blocks.Values) kv.Dispose();
            clipMapped.Dispose();
            throw;
        }
    }

    /// <summary><see cref="Forward(Tensor, Tensor, Tensor, Tensor, ActivationTrace?)"/> with the text condition prepared by <see cref="PrepareCondition"/>.</summary>
    public Tensor Forward(Tensor x, Tensor r, Tensor effnet, DecoderCondition condition, ActivationTrace? trace = null)
    {
        CheckInputs(x, r, effnet);
        if (condition.Batch != x.Size(0))
            throw new ArgumentException($"WuerstchenDiffNeXt: the prepared condition has batch {condition.Batch}, x has {x.Size(0)}.", nameof(condition));
        return Run(x, r, effnet, condition.ClipMapped, (attn, h) => attn.Forward(h, condition.For(attn)), trace);
    }

    private Tensor Run(Tensor x, Tensor r, Tensor effnet, Tensor clipMapped, Func<AttnBlock, Tensor, Tensor> attend, ActivationTrace? trace)
    {
        int n = Config.Levels;
        using var rEmbed = REmbedding.Generate(r, Config.CR);
        trace?.Invoke("r_embed", rEmbed);
        trace?.Invoke("clip_mapped", clipMapped);

        // Down path. levelOutputs[i] is kept for the up path's skip connections (and freed at the end).
        var levelOutputs = new Tensor[n];
        try
        {
            for (int i = 0; i < n; i++)
            {
                var level = _down[i];
                Tensor levelInput;
                if (i == 0)
                {
                    levelInput = Embed(x);
                    trace?.Invoke("embedding_out", levelInput.Permute(0, 3, 1, 2));
                }
                else levelInput = level.Downsampler!.Forward(levelOutputs[i - 1]);
                using (levelInput)
                {
                    using var effnetC = level.InjectsEffnet ? MapEffnet(level.EffnetMapper, effnet, levelInput, i, down: true, trace) : null;
                    levelOutputs[i] = RunBlocks(level.Blocks, levelInput, firstSkip: null, effnetC, rEmbed, attend);
                }
                trace?.Invoke($"down_level{i}.out", levelOutputs[i].Permute(0, 3, 1, 2));
            }

            // Up path, deepest level first, starting from the deepest down output (which it must not free).
            Tensor current = levelOutputs[n - 1];
            for (int u = 0; u < n; u++)
            {
                int i = n - 1 - u;
                var level = _up[u];
                using var effnetC = level.InjectsEffnet ? MapEffnet(level.EffnetMapper, effnet, current, i, down: false, trace) : null;
                var next = RunBlocks(level.Blocks, current, firstSkip: u > 0 ? levelOutputs[i] : null, effnetC, rEmbed, attend);
                if (u > 0) current.Dispose();
                current = next;
                if (level.Upsampler is not null)
                {
                    using var previous = current;
                    current = level.Upsampler.Forward(previous);
                }
            }
            trace?.Invoke("up_out", current.Permute(0, 3, 1, 2));

            using (current)
                return Head(x, current, trace);
        }
        finally
        {
            foreach (var t in levelOutputs) t?.Dispose();
        }
    }

    /// <summary>
    /// Runs a level's blocks (at least one) on <paramref name="input"/>, which is not freed; intermediates are.
    /// Returns a new tensor. The first ResBlock gets
    /// <c>cat[firstSkip, effnetC]</c> (either may be absent), later ResBlocks get <c>effnetC</c>.
    /// </summary>
    private static Tensor RunBlocks(Module[] blocks, Tensor input, Tensor? firstSkip, Tensor? effnetC, Tensor rEmbed, Func<AttnBlock, Tensor, Tensor> attend)
    {
        var h = input;
        for (int j = 0; j < blocks.Length; j++)
        {
            Tensor next;
            switch (blocks[j])
            {
                case ResBlockStageB res when res.SkipMap is not null:
                    next = res.Forward(h, j == 0 ? firstSkip : null, effnetC!);     // effnetC is the resized latent, mapped inside
                    break;
                case ResBlockStageB res:
                    var skip = j == 0 ? firstSkip : null;
                    if (skip is not null && effnetC is not null)
                    {
                        using var joined = Ops.Cat([skip, effnetC], 3);
                        next = res.Forward(h, joined);
                    }
                    else next = res.Forward(h, skip ?? effnetC);
                    break;
                case TimestepBlock time: next = time.Forward(h, rEmbed); break;
                case AttnBlock attn: next = attend(attn, h); break;
                default: throw new InvalidOperationException($"Unexpected decoder block {blocks[j].GetType().Name}.");
            }
            if (!ReferenceEquals(h, input)) h.Dispose();
            h = next;
        }
        return h;
    }

    /// <summary>clip_mapper then seq_norm (LayerNorm over c_cond, no affine, eps 1e-6).</summary>
    private Tensor MapClip(Tensor clip)
    {
        using var mapped = _clipMapper.Forward(clip);
        return WuerstchenNorm.ChannelsLast(mapped);
    }

    /// <summary>embedding: PixelUnshuffle(patch) · Conv2d 1×1 · LayerNorm2d → [B, H/p, W/p, c_hidden[0]].</summary>
    private Tensor Embed(Tensor x)
    {
        using var patches = Ops.PixelUnshuffle(x, Config.PatchSize);
        using var patchesLast = Ops.ToChannelsLast(patches);
        using var projected = _embedding.Forward(patchesLast);
        return WuerstchenNorm.ChannelsLast(projected);
    }

    /// <summary>
    /// The effnet latent resized to <paramref name="like"/>'s H×W — torch's antialiased bicubic with
    /// align_corners=True, a PIL-style a = −0.5 filter (SPEC §2.9, pitfall 10) — then the level's 1×1 mapper,
    /// channels-last [B, H, W, c_cond]. Without a mapper (folded into the ResBlocks) the resized latent, [B, H, W, effnet_embd].
    /// </summary>
    private static Tensor MapEffnet(PointwiseConv? mapper, Tensor effnet, Tensor like, int level, bool down, ActivationTrace? trace)
    {
        using var resized = Ops.Interpolate(effnet, like.Size(1), like.Size(2), InterpolationMode.Bicubic, alignCorners: true, antialias: true);
        if (down) trace?.Invoke($"effnet_interp.level{level}", resized);
        var resizedLast = Ops.ToChannelsLast(resized);
        if (mapper is null) return resizedLast;
        using var _ = resizedLast;
        var mapped = mapper.Forward(resizedLast);
        trace?.Invoke($"effnet_mapped.{(down ? "down" : "up")}_level{level}", mapped.Permute(0, 3, 1, 2));
        return mapped;
    }

    /// <summary>clf: LN2d · Conv2d 1×1 · PixelShuffle(patch); a = first c_out channels, b = the rest; returns (x_in − a) / b.</summary>
    private Tensor Head(Tensor xIn, Tensor h, ActivationTrace? trace)
    {
        using var normed = WuerstchenNorm.ChannelsLast(h);
        using var projectedLast = _clf.Forward(normed);
        using var projected = Ops.ToChannelsFirst(projectedLast);
        using var o = Ops.PixelShuffle(projected, Config.PatchSize);
        var a = o.Narrow(1, 0, Config.COut);
        var bRaw = o.Narrow(1, Config.COut, Config.COut);
        using var sigmoid = Ops.Sigmoid(bRaw);
        using var scaled = Ops.Mul(sigmoid, 1f - 2 * HeadEps);
        using var b = Ops.Add(scaled, HeadEps);
        trace?.Invoke("out_a", a);
        trace?.Invoke("out_b", b);
        using var numerator = Ops.Sub(xIn, a);
        return Ops.Div(numerator, b);
    }

    private void CheckInputs(Tensor x, Tensor r, Tensor effnet)
    {
        if (x.Rank != 4 || x.Size(1) != Config.CIn)
            throw new ArgumentException($"WuerstchenDiffNeXt: x must be [B, {Config.CIn}, H, W], got {x}.", nameof(x));
        int batch = x.Size(0), multiple = SizeMultiple;
        if (x.Size(2) % multiple != 0 || x.Size(3) % multiple != 0)
            throw new ArgumentException($"WuerstchenDiffNeXt: x's H and W must be multiples of {multiple} (patch size × 2^(levels−1)), got {x}.", nameof(x));
        if (r.Rank != 1 || r.Size(0) != batch)
            throw new ArgumentException($"WuerstchenDiffNeXt: r must be [{batch}], got {r}.", nameof(r));
        if (effnet.Rank != 4 || effnet.Size(0) != batch || effnet.Size(1) != Config.EffnetEmbd)
            throw new ArgumentException($"WuerstchenDiffNeXt: effnet must be [{batch}, {Config.EffnetEmbd}, h, w], got {effnet}.", nameof(effnet));
    }

    /// <summary>clip must be [B, L, clip_embd], with B = <paramref name="batch"/> when given.</summary>
    private void CheckClip(Tensor clip, int? batch)
    {
        if (clip.Rank != 3 || (batch is int b && clip.Size(0) != b) || clip.Size(2) != Config.ClipEmbd)
            throw new ArgumentException($"WuerstchenDiffNeXt: clip must be [{batch?.ToString() ?? "B"}, L, {Config.ClipEmbd}], got {clip}.", nameof(clip));
    }
}
