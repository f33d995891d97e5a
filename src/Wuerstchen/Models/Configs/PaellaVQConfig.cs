namespace Wuerstchen.Models.Configs;

/// <summary><c>vqgan/config.json</c> of diffusers' <c>PaellaVQModel</c> (Stage A). Property names are the JSON keys in PascalCase.</summary>
public sealed record PaellaVQConfig(
    int InChannels, int OutChannels, int UpDownScaleFactor, int Levels, int BottleneckBlocks,
    int EmbedDim, int LatentChannels, int NumVqEmbeddings, float ScaleFactor)
{
    public const string ClassName = "PaellaVQModel";

    /// <summary>The released <c>warp-ai/wuerstchen</c> VQGAN configuration (SPEC §2.10).</summary>
    public static PaellaVQConfig WarpAi { get; } = new(
        InChannels: 3, OutChannels: 3, UpDownScaleFactor: 2, Levels: 2, BottleneckBlocks: 12,
        EmbedDim: 384, LatentChannels: 4, NumVqEmbeddings: 8192, ScaleFactor: 0.3764f);

    /// <summary>Channel count per level, shallow to deep: <c>embed_dim / 2^(levels-1-i)</c> ([192, 384] when released).</summary>
    public int[] CLevels => Enumerable.Range(0, Levels).Select(i => EmbedDim >> (Levels - 1 - i)).ToArray();

    public static PaellaVQConfig Load(string path) => From(ConfigJson.Load(path));

    public static PaellaVQConfig From(ConfigJson json)
    {
        json.ExpectClass(ClassName);
        var config = new PaellaVQConfig(
            InChannels: json.Int("in_channels"), OutChannels: json.Int("out_channels"),
            UpDownScaleFactor: json.Int("up_down_scale_factor"), Levels: json.Int("levels"),
            BottleneckBlocks: json.Int("bottleneck_blocks"), EmbedDim: json.Int("embed_dim"),
            LatentChannels: json.Int("latent_channels"), NumVqEmbeddings: json.Int("num_vq_embeddings"),
            ScaleFactor: json.Float("scale_factor"));
        config.Validate(json.Source);
        return config;
    }

    public void Validate(string source = nameof(PaellaVQConfig))
    {
        ConfigJson.Require(InChannels >= 1, source, "in_channels", InChannels, "must be >= 1");
        ConfigJson.Require(OutChannels >= 1, source, "out_channels", OutChannels, "must be >= 1");
        ConfigJson.Require(UpDownScaleFactor >= 1, source, "up_down_scale_factor", UpDownScaleFactor, "must be >= 1");
        ConfigJson.Require(Levels is >= 1 and <= 16, source, "levels", Levels, "must be in [1, 16]");
        ConfigJson.Require(BottleneckBlocks >= 1, source, "bottleneck_blocks", BottleneckBlocks, "must be >= 1");
        ConfigJson.Require(EmbedDim >= 1 << (Levels - 1) && EmbedDim % (1 << (Levels - 1)) == 0, source, "embed_dim", EmbedDim,
            $"must be divisible by 2^(levels-1) = {1 << (Levels - 1)} (each level halves the channels)");
        ConfigJson.Require(LatentChannels >= 1, source, "latent_channels", LatentChannels, "must be >= 1");
        ConfigJson.Require(NumVqEmbeddings >= 1, source, "num_vq_embeddings", NumVqEmbeddings, "must be >= 1");
        ConfigJson.Require(float.IsFinite(ScaleFactor) && ScaleFactor > 0, source, "scale_factor", ScaleFactor, "must be a positive number");
    }
}
