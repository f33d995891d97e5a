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
}
