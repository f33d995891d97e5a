namespace Wuerstchen.Tests.Models;

/// <summary>Component folders of the reference data used by the model tests.</summary>
internal static class ModelFolders
{
    public static string TinyPrior => Reference.Path_("tiny-wuerstchen-prior", "prior");
    public static string TinyPriorTextEncoder => Reference.Path_("tiny-wuerstchen-prior", "text_encoder");
    public static string TinyDecoder => Reference.Path_("tiny-wuerstchen", "decoder");
    public static string TinyDecoderTextEncoder => Reference.Path_("tiny-wuerstchen", "text_encoder");
    public static string TinyVqgan => Reference.Path_("tiny-wuerstchen", "vqgan");

    /// <summary>The released warp-ai configs (no weights): <c>RealConfig("warp-ai--wuerstchen-prior", "prior")</c>.</summary>
    public static string RealConfig(string repo, string component) => Reference.Path_("configs", repo, component, "config.json");
}
