using System.Text.Json.Nodes;
using Wuerstchen.Models.Weights;

namespace Wuerstchen.Models;

/// <summary>Shared <c>FromPretrained</c> logic: open a component folder's weights, build the model, insist that every stored tensor was used.</summary>
internal static class Pretrained
{
    public static TModel Load<TModel>(string folder, string? variant, string modelName, Func<WeightSource, TModel> build, bool writable = false)
        where TModel : IDisposable
    {
        using var ws = WeightSource.FromFolder(folder, variant, writable);
        var model = build(ws);
        try
        {
            ws.EnsureAllUsed(modelName);
        }
        catch
        {
            model.Dispose();
            throw;
        }
        return model;
    }

    /// <summary>
    /// The integer fields of a training head's <c>config.json</c> in <paramref name="folder"/> (e.g. <c>in_channels</c>):
    /// a lookup that throws, naming the file and the key, when a field is missing.
    /// </summary>
    public static Func<string, int> IntConfig(string folder)
    {
        string configPath = Path.Combine(folder, "config.json");
        var config = JsonNode.Parse(File.ReadAllText(configPath)) as JsonObject
            ?? throw new InvalidDataException($"{configPath}: not a JSON object.");
        return key => config[key]?.GetValue<int>() ?? throw new InvalidDataException($"{configPath}: '{key}' is missing.");
    }
}
