namespace Wuerstchen.Models.Configs;

/// <summary>
/// <c>prior/config.json</c> of diffusers' <c>WuerstchenPrior</c> (Stage C). Property names are the JSON keys in
/// PascalCase: <c>c_in</c> → <see cref="CIn"/>, <c>c_cond</c> → <see cref="CCond"/>, <c>c_r</c> → <see cref="CR"/>.
/// </summary>
public sealed record WuerstchenPriorConfig(int CIn, int C, int CCond, int CR, int Depth, int NHead, float Dropout = 0.1f)
{
    public const string ClassName = "WuerstchenPrior";

    /// <summary>The released <c>warp-ai/wuerstchen-prior</c> configuration (SPEC §3; not the class defaults).</summary>
    public static WuerstchenPriorConfig WarpAi { get; } = new(CIn: 16, C: 1536, CCond: 1280, CR: 64, Depth: 32, NHead: 24, Dropout: 0.1f);

    /// <summary>Reads and validates a <c>config.json</c> (or the component folder holding one).</summary>
    public static WuerstchenPriorConfig Load(string path) => From(ConfigJson.Load(path));

    public static WuerstchenPriorConfig From(ConfigJson json)
    {
        json.ExpectClass(ClassName);
        var config = new WuerstchenPriorConfig(
            CIn: json.Int("c_in"), C: json.Int("c"), CCond: json.Int("c_cond"), CR: json.Int("c_r"),
            Depth: json.Int("depth"), NHead: json.Int("nhead"), Dropout: json.Float("dropout", 0.1f));
        config.Validate(json.Source);
        return config;
    }

    /// <summary>Throws an error naming <paramref name="source"/> and the offending key if the model cannot be built.</summary>
    public void Validate(string source = nameof(WuerstchenPriorConfig))
    {
        ConfigJson.Require(CIn >= 1, source, "c_in", CIn, "must be >= 1");
        ConfigJson.Require(C >= 1, source, "c", C, "must be >= 1");
        ConfigJson.Require(CCond >= 1, source, "c_cond", CCond, "must be >= 1");
        ConfigJson.Require(CR >= 4, source, "c_r", CR, "the r embedding needs c_r >= 4 (its frequency step divides by c_r/2 - 1)");
        ConfigJson.Require(Depth >= 1, source, "depth", Depth, "must be >= 1");
        ConfigJson.Require(NHead >= 1 && C % NHead == 0, source, "nhead", NHead, $"must be >= 1 and divide c = {C}");
        ConfigJson.Require(Dropout is >= 0 and < 1, source, "dropout", Dropout, "must be in [0, 1)");
    }
}
